import { describe, expect, it, vi } from "vitest";
import { marker, waitForRequest } from "../servers/client.ts";
import { adminHeaders, adminPost, call, deliver, trace, waitForStatus } from "./fixtures.ts";
import { fakes } from "./target.ts";

/** Runs through the HTTP API: cancel (with the upstream stream closed), governor, wait/resume, fan-out. */
export const runScenarios = () =>
  describe("runs", { timeout: 90_000 }, () => {
    it("cancels a streaming llm step at once: no new step starts, the attempt is aborted, latency recorded", async () => {
      // 60 words at 100 ms: the whole stream takes at least 6 s, so a step that ended well before was cut.
      const { json } = await deliver("run-slow-echo", {
        text: Array.from({ length: 60 }, (_, i) => `w${i}`).join(" "),
      });
      const runId = json.runId as string;
      await waitForStatus(runId, ["running"]);
      // Wait until the worker has picked the attempt up, so the cancel hits in-flight work.
      await expect
        .poll(async () => (await trace(runId)).steps[0]?.status, { timeout: 15_000 })
        .toBe("running");
      const res = await adminPost(`/runs/${runId}/cancel`);
      expect(res.status).toBe(200);
      const ack = (await res.json()) as { status: string; latencyMs: number; acknowledgedAt: number };
      expect(ack.status).toBe("cancelled");
      expect(ack.latencyMs).toBeGreaterThanOrEqual(0);
      const done = await expect
        .poll(async () => (await trace(runId)).steps[0]?.status, { timeout: 15_000 })
        .toBe("cancelled")
        .then(() => trace(runId));
      expect(done.status).toBe("cancelled");
      expect(done.cancel).toMatchObject({ source: "api", latencyMs: expect.any(Number) });
      // The echo stream was cut short, not run to the end (a slow machine has taken 1.4 s to cut it).
      expect(done.steps[0]?.latencyMs ?? 0).toBeLessThan(5_000);
    });

    it("answers a second cancel of a finished run without changing it", async () => {
      const { json } = await deliver("run-echo", { text: "quick" });
      const runId = json.runId as string;
      await waitForStatus(runId, ["completed"]);
      const res = await adminPost(`/runs/${runId}/cancel`);
      expect(await res.json()).toMatchObject({ status: "completed", alreadyFinished: true });
    });

    it("ends the run governor_breached before a step over maxSteps, keeping the partial usage", async () => {
      const { json } = await deliver("run-budget", { text: "count these words" });
      const done = await waitForStatus(json.runId as string, ["governor_breached", "completed", "failed"]);
      expect(done.status).toBe("governor_breached");
      expect(done.steps.map((s) => s.stepId)).toEqual(["one"]);
      expect(done.usage.steps).toBe(1);
      expect(done.usage.outputTokens).toBeGreaterThan(0);
    });

    it("waits for approval and resumes with input its schema accepts", async () => {
      const { json } = await deliver("run-wait", { text: "please" });
      const runId = json.runId as string;
      await waitForStatus(runId, ["waiting"]);
      const bad = await adminPost(`/runs/${runId}/resume`, { approved: "yes" });
      expect(bad.status).toBe(409);
      const good = await adminPost(`/runs/${runId}/resume`, { approved: true });
      expect(good.status).toBe(200);
      const done = await waitForStatus(runId, ["completed"]);
      expect(done.output).not.toBeUndefined();
    });

    it("fans out 20 items through the queue and joins them in input order", async () => {
      const items = Array.from({ length: 20 }, (_, i) => i);
      const { json } = await deliver("run-fanout", { items });
      const done = await waitForStatus(json.runId as string, ["completed", "failed"], 60_000);
      expect(done.status).toBe("completed");
      expect(done.steps.filter((s) => s.mode !== "pure")).toHaveLength(20);
      // The parallel step itself ran inside a transition: listed too, with the joined output.
      expect(done.steps.filter((s) => s.mode === "pure").map((s) => s.kind)).toContain("parallel");
    });

    it("cancel closes the in-flight OpenAI stream at the server and records the latency", async () => {
      const tag = marker("cancel");
      const { json } = await deliver("run-slow", { text: tag });
      const runId = json.runId as string;
      // The fake server has the streaming request open (one token every 200 ms, 200 tokens).
      await waitForRequest(fakes.openai(), (r) => JSON.stringify(r.body).includes(tag));
      const res = await adminPost(`/runs/${runId}/cancel`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "cancelled", latencyMs: expect.any(Number) });
      const seen = await waitForRequest(
        fakes.openai(),
        (r) => JSON.stringify(r.body).includes(tag) && r.closedAt !== undefined,
      );
      expect(seen.clientClosedEarly).toBe(true);
      const done = await waitForStatus(runId, ["cancelled"]);
      expect(done.cancel?.latencyMs).toEqual(expect.any(Number));
      await expect.poll(async () => (await trace(runId)).steps[0]?.status).toBe("cancelled");
      const step = (await trace(runId)).steps[0];
      expect(step?.abortLatencyMs).toEqual(expect.any(Number));
      // Streaming 200 tokens at 200 ms would take 40 s: the step ended because it was aborted.
      expect(step?.latencyMs ?? Number.POSITIVE_INFINITY).toBeLessThan(20_000);
    });

    it("lets the sender poll its own run with the run token from the 202, and nothing else", async () => {
      const a = (await deliver("run-echo", { text: "poll me" })).json as { runId: string; runToken?: string };
      const b = (await deliver("run-echo", { text: "not yours" })).json as {
        runId: string;
        runToken?: string;
      };
      expect(a.runToken).toMatch(/^rt_/);
      const as = (token: string | undefined) => ({ headers: { authorization: `Bearer ${token}` } });
      await vi.waitFor(async () => {
        const own = await call(`/runs/${a.runId}`, as(a.runToken));
        expect(own.status).toBe(200);
        expect(((await own.json()) as { status: string }).status).toBe("completed");
      });
      expect((await call(`/runs/${b.runId}`, as(a.runToken))).status).toBe(401);
      expect((await call(`/runs/${a.runId}`, as("rt_0000000000000000000000000000000000000000"))).status).toBe(
        401,
      );
      // A run token reads one run; it is not an admin token.
      expect((await call("/runs", as(a.runToken))).status).toBe(401);
      expect((await call(`/runs/${a.runId}/cancel`, { method: "POST", ...as(a.runToken) })).status).toBe(401);
    });

    it("pages the run list with nextCursor; free text without Postgres history is a clear 400", async () => {
      const page = await call("/runs?limit=1", { headers: adminHeaders });
      const body = (await page.json()) as { runs: unknown[]; nextCursor: string | null; from: string };
      expect(body.runs).toHaveLength(1);
      if (body.from === "index") {
        const q = await call("/runs?q=anything", { headers: adminHeaders });
        expect(q.status).toBe(400);
        expect(await q.json()).toMatchObject({
          error: "bad_query",
          message: expect.stringContaining("DATABASE_URL"),
        });
      }
    });
  });
