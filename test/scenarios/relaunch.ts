import { describe, expect, it } from "vitest";
import { marker } from "../servers/client.ts";
import { adminHeaders, adminPost, call, deliver, trace, waitForStatus } from "./fixtures.ts";
import { readSse } from "./sse.ts";
import { fakes } from "./target.ts";

type Relaunched = { from: string; runId: string; kind: string; status: string; fromStep?: string };

/** Restart, retry from the failed step, and the run's event stream (resume with Last-Event-ID). */
export const relaunchScenarios = () =>
  describe("restart, retry and run streams", { timeout: 90_000 }, () => {
    it("restarts a run: a new run with the same workflow and input, linked both ways, that completes", async () => {
      const { json } = await deliver("run-echo", { text: "again please" });
      const old = await waitForStatus(json.runId as string, ["completed"]);
      const res = await adminPost(`/runs/${old.runId}/restart`);
      expect(res.status).toBe(201);
      const body = (await res.json()) as Relaunched;
      expect(body).toMatchObject({ from: old.runId, kind: "restart" });
      expect(body.runId).not.toBe(old.runId);
      const fresh = await waitForStatus(body.runId, ["completed"]);
      expect(fresh).toMatchObject({ restartOf: old.runId, retryOf: null, workflowId: old.workflowId });
      expect(fresh.output).toEqual(old.output);
      expect((await trace(old.runId)).relaunches).toEqual([
        { runId: body.runId, kind: "restart", at: expect.any(String) },
      ]);
    });

    it("retries a failed run from the failed step after the fix, reusing the steps that succeeded", async () => {
      const key = marker("broken");
      const { json } = await deliver("run-broken", { text: key });
      const failed = await waitForStatus(json.runId as string, ["failed"]);
      expect(failed.error?.stepId).toBe("polish");
      // Nothing to retry on a run that completed; a run that failed can be retried.
      await fetch(`${fakes.openai()}/__fix`, { method: "POST", body: JSON.stringify({ key }) });
      const res = await adminPost(`/runs/${failed.runId}/retry`);
      expect(res.status).toBe(201);
      const body = (await res.json()) as Relaunched;
      expect(body).toMatchObject({ kind: "retry", fromStep: "polish" });
      const done = await waitForStatus(body.runId, ["completed", "failed"]);
      expect(done.status).toBe("completed");
      expect(done.retryOf).toBe(failed.runId);
      expect(done.steps.map((s) => [s.stepId, s.mode, s.status])).toEqual([
        ["draft", "reused", "succeeded"],
        ["polish", expect.stringMatching(/inline|queue/), "succeeded"],
      ]);
      const again = await adminPost(`/runs/${body.runId}/retry`);
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({ error: "bad_relaunch" });
      expect((await adminPost("/runs/run_nope/restart")).status).toBe(404);
      expect((await call(`/runs/${failed.runId}/retry`, { method: "POST" })).status).toBe(401);
    });

    it("streams a run's events once, in order; Last-Event-ID resumes with no gap and no repeat", async () => {
      const { json } = await deliver("run-slow-echo", { text: "one two three four five six" });
      const runId = json.runId as string;
      const stream = (lastId?: string) =>
        call(`/runs/${runId}/stream`, {
          headers: { ...adminHeaders, ...(lastId !== undefined && { "last-event-id": lastId }) },
        });
      // Read until the llm step has streamed some text, then drop the connection mid-run.
      const first = await readSse(await stream(), (e) => e.event === "token");
      const ids = first.filter((e) => e.id !== undefined).map((e) => Number(e.id));
      expect(ids.length).toBeGreaterThan(0);
      const tokens = first
        .filter((e) => e.event === "token")
        .map((e) => JSON.parse(e.data) as { text: string });
      expect(tokens[0]?.text.length).toBeGreaterThan(0);
      const last = String(ids.at(-1));
      const rest = await readSse(await stream(last), (e) => e.event === "end");
      const restIds = rest.filter((e) => e.id !== undefined).map((e) => Number(e.id));
      const all = [...ids, ...restIds];
      expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
      expect(rest.at(-1)).toMatchObject({ event: "end" });
      expect(JSON.parse(rest.at(-1)?.data ?? "{}")).toMatchObject({ status: "completed" });
      const types = [...first, ...rest].filter((e) => e.id !== undefined).map((e) => e.event);
      expect(types[0]).toBe("run.state");
      expect(types).toContain("step.finish");
      // A finished run replays from any point and ends; past the end there is only `end`.
      const replay = await readSse(await stream("2"), (e) => e.event === "end");
      expect(replay.filter((e) => e.id).map((e) => Number(e.id))).toEqual(all.slice(2));
      const tail = await readSse(await stream(String(all.length)), (e) => e.event === "end");
      expect(tail.map((e) => e.event)).toEqual(["end"]);
    });

    it("opens a run's stream with its run token, and nothing else", async () => {
      const { json } = (await deliver("run-echo", { text: "stream me" })) as {
        json: { runId?: string; runToken?: string };
      };
      const runId = json.runId as string;
      await waitForStatus(runId, ["completed"]);
      const own = await call(`/runs/${runId}/stream`, {
        headers: { authorization: `Bearer ${json.runToken}` },
      });
      expect(own.status).toBe(200);
      expect(own.headers.get("content-type")).toContain("text/event-stream");
      const events = await readSse(own, (e) => e.event === "end");
      expect(events.at(-1)?.event).toBe("end");
      expect((await call(`/runs/${runId}/stream`)).status).toBe(401);
      expect((await call("/runs/run_unknown/stream", { headers: adminHeaders })).status).toBe(404);
    });
  });
