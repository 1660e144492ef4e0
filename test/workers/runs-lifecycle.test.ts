import {
  createExecutionContext,
  createMessageBatch,
  env,
  evictDurableObject,
  getQueueResult,
  runDurableObjectAlarm,
  SELF,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { adminHeaders, deliver, stepMessageFor, trace, waitForStatus } from "../fixtures/runs.ts";
import { BASE_URL } from "../fixtures/secrets.ts";

describe("run lifecycle on workerd (eviction, dead letters, redelivery)", () => {
  it("survives a restart mid-run: a delay timer fires from storage and the run completes", async () => {
    const { json } = await deliver("run-delay", { text: "later" });
    const runId = json.runId as string;
    const stub = env.RUNS.getByName(runId);
    await waitForStatus(runId, ["running"]);
    // Evict the object (its memory is gone, as after a restart); the timer lives in storage and its
    // alarm brings the run back from there.
    await evictDurableObject(stub);
    await new Promise((r) => setTimeout(r, 200));
    await runDurableObjectAlarm(stub);
    const done = await waitForStatus(runId, ["completed"]);
    // The delay step ran inside transitions (no attempt row) and is listed as pure.
    expect(done.steps.map((s) => s.stepId)).toEqual(["pause", "after"]);
    expect(done.steps[0]?.mode).toBe("pure");
  });

  it("fails the run with the reason when its step message is dead-lettered", async () => {
    const { json } = await deliver("run-slow-echo", { text: "a b c d e f g h i j k l m n o p" });
    const runId = json.runId as string;
    await expect.poll(async () => (await trace(runId)).steps[0]?.status, { timeout: 15_000 }).toBe("running");
    const step = (await trace(runId)).steps[0];
    if (!step) throw new Error("no step");
    const body = stepMessageFor(runId, step, "x");
    const batch = createMessageBatch("hookline-steps-dlq", [
      { id: "dead-1", timestamp: new Date(), attempts: 4, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["dead-1"]);
    const done = await waitForStatus(runId, ["failed"]);
    expect(done.error?.message).toContain("dead-lettered");
    expect(done.steps[0]?.status).toBe("dead_lettered");
  });

  it("acks a STEPS message for an attempt that is no longer outstanding without running it", async () => {
    const { json } = await deliver("run-echo", { text: "done already" });
    const runId = json.runId as string;
    const done = await waitForStatus(runId, ["completed"]);
    const step = done.steps[0];
    if (!step) throw new Error("no step");
    const body = stepMessageFor(runId, { ...step, attempt: 1 }, "again");
    const batch = createMessageBatch("hookline-steps", [
      { id: "redelivered", timestamp: new Date(), attempts: 2, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["redelivered"]);
    const after = await trace(runId);
    const io = after.steps.filter((s) => s.mode !== "pure");
    expect(io).toHaveLength(1);
    expect(io[0]?.deliveries).toBe(1);
  });
});
