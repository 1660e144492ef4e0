import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
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
      }),
    ]);
    expect(done.source).toBe("run-echo");
    const res = await SELF.fetch(`${BASE_URL}/runs/${runId}`, { headers: adminHeaders });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ runId, status: "completed", workflowId: "echo-branch-reply" });
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
