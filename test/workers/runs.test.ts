import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { adminHeaders, deliver, trace, waitForStatus } from "../fixtures/runs.ts";
import { BASE_URL } from "../fixtures/secrets.ts";

describe("a delivery starts a durable run", () => {
  it("answers 202 with the run id, and a duplicate names the same run", async () => {
    const id = crypto.randomUUID();
    const first = await deliver("run-echo", { text: "hello there" }, id);
    expect(first.res.status).toBe(202);
    expect(first.json).toMatchObject({
      status: "accepted",
      runId: expect.stringMatching(/^run_[0-9a-f]{32}$/),
    });
    const again = await deliver("run-echo", { text: "hello there" }, id);
    expect(again.res.status).toBe(200);
    expect(again.json).toMatchObject({ status: "duplicate", runId: first.json.runId });
  });

  it("runs llm → branch → reply through the real STEPS queue and shows the trace", async () => {
    const { json } = await deliver("run-echo", { text: "is it on?" });
    const runId = json.runId as string;
    const done = await waitForStatus(runId, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(done.steps).toEqual([
      expect.objectContaining({
        stepId: "answer",
        kind: "llm",
        status: "succeeded",
        attempt: 1,
        provider: "hookline",
        model: "echo",
        inputTokens: expect.any(Number),
        outputTokens: expect.any(Number),
        costUsd: expect.any(Number),
      }),
      // The branch and the reply ran inside transitions: listed with their outputs, no attempt timing.
      expect.objectContaining({ stepId: "route", kind: "branch", mode: "pure", output: expect.any(Object) }),
      ...done.steps.slice(2).map(() => expect.objectContaining({ mode: "pure", status: "succeeded" })),
    ]);
    expect(done.steps.length).toBeGreaterThan(2);
    const [answer] = done.steps;
    // echo is priced at 1000/2000 USD per 1M tokens in config/test.yaml.
    expect(answer?.costUsd).toBeCloseTo(
      ((answer?.inputTokens ?? 0) * 1000 + (answer?.outputTokens ?? 0) * 2000) / 1_000_000,
    );
    expect(done.usage.costUsd).toBeCloseTo(answer?.costUsd ?? -1);
    expect(done.source).toBe("run-echo");
    const res = await SELF.fetch(`${BASE_URL}/runs/${runId}`, { headers: adminHeaders });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ runId, status: "completed", workflowId: "echo-branch-reply" });
  });

  it("lists recent runs by workflow and status from the EVENTS-fed index", async () => {
    const since = Date.now();
    const { json } = await deliver("run-echo", { text: "list me" });
    const runId = json.runId as string;
    await waitForStatus(runId, ["completed"]);
    // run.state events travel the EVENTS queue (max_batch_timeout 1 s) into the index.
    await vi.waitFor(
      async () => {
        const res = await SELF.fetch(
          `${BASE_URL}/runs?workflow=echo-branch-reply&status=completed&since=${since}`,
          {
            headers: adminHeaders,
          },
        );
        const { runs } = (await res.json()) as { runs: { runId: string; status: string; source: string }[] };
        expect(runs).toContainEqual(
          expect.objectContaining({ runId, status: "completed", source: "run-echo" }),
        );
      },
      { timeout: 24_000, interval: 100 },
    );
    const bad = await SELF.fetch(`${BASE_URL}/runs?status=sleeping`, { headers: adminHeaders });
    expect(bad.status).toBe(400);
  });

  it("answers GET /runs/:id for an unknown run with 404, and requires the admin token", async () => {
    expect((await SELF.fetch(`${BASE_URL}/runs/run_nope`, { headers: adminHeaders })).status).toBe(404);
    expect((await SELF.fetch(`${BASE_URL}/runs/run_nope`)).status).toBe(401);
  });

  it("applies a repeated step result once and counts the stale one", async () => {
    const { json } = await deliver("run-echo", { text: "once" });
    const runId = json.runId as string;
    const done = await waitForStatus(runId, ["completed"]);
    const step = done.steps[0];
    if (!step) throw new Error("no step");
    const stub = env.RUNS.getByName(runId);
    const now = Date.now();
    const replay = await stub.stepFinished(step.stepId, step.attemptId, {
      ok: true,
      output: { text: "a second copy" },
      startedAt: now,
      finishedAt: now,
    });
    expect(replay).toEqual({ applied: false });
    const after = await trace(runId);
    expect(after.ignoredResults).toBe(1);
    expect(after.status).toBe("completed");
  });
});

describe("a run's start checks the workflow it pins (workerd)", () => {
  it("refuses a workflow the config would refuse, and the caller reads why", async () => {
    const stub = env.RUNS.getByName("run_bad_workflow_w1");
    const refused = await stub
      .fromSession({
        type: "start",
        runId: "run_bad_workflow_w1",
        workflowId: "bad",
        workflow: { id: "bad", steps: [{ id: "think", kind: "llm", model: "echo" }] },
        input: {},
      })
      .then(
        () => undefined,
        (err: Error) => err,
      );
    expect(refused?.message).toMatch(/Run\.fromSession: .*prompt/s);
    expect(await stub.getStatus()).toBeNull();
  });
});
