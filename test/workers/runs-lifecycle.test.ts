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
import type { StepMessage } from "../../src/queue/messages.ts";
import { adminHeaders, deliver, trace, waitForStatus } from "../fixtures/runs.ts";
import { BASE_URL } from "../fixtures/secrets.ts";

const post = (path: string, body?: unknown) =>
  SELF.fetch(`${BASE_URL}${path}`, {
    method: "POST",
    headers: { ...adminHeaders, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("run lifecycle", () => {
  it("cancels a streaming llm step at once: no new step starts, the attempt is aborted, latency recorded", async () => {
    const { json } = await deliver("run-slow-echo", {
      text: "one two three four five six seven eight nine ten",
    });
    const runId = json.runId as string;
    await waitForStatus(runId, ["running"]);
    // Wait until the worker has picked the attempt up, so the cancel hits in-flight work.
    await expect.poll(async () => (await trace(runId)).steps[0]?.status, { timeout: 5000 }).toBe("running");
    const res = await post(`/runs/${runId}/cancel`);
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { status: string; latencyMs: number; acknowledgedAt: number };
    expect(ack.status).toBe("cancelled");
    expect(ack.latencyMs).toBeGreaterThanOrEqual(0);
    const done = await expect
      .poll(async () => (await trace(runId)).steps[0]?.status, { timeout: 5000 })
      .toBe("cancelled")
      .then(() => trace(runId));
    expect(done.status).toBe("cancelled");
    expect(done.cancel).toMatchObject({ source: "api", latencyMs: expect.any(Number) });
    // The echo stream (10 words at 100 ms) was cut short, not run to the end.
    expect(done.steps[0]?.latencyMs ?? 0).toBeLessThan(900);
  });

  it("answers a second cancel of a finished run without changing it", async () => {
    const { json } = await deliver("run-echo", { text: "quick" });
    const runId = json.runId as string;
    await waitForStatus(runId, ["completed"]);
    const res = await post(`/runs/${runId}/cancel`);
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
    const bad = await post(`/runs/${runId}/resume`, { approved: "yes" });
    expect(bad.status).toBe(409);
    const good = await post(`/runs/${runId}/resume`, { approved: true });
    expect(good.status).toBe(200);
    const done = await waitForStatus(runId, ["completed"]);
    expect(done.output).not.toBeUndefined();
  });

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
    expect(done.steps.map((s) => s.stepId)).toEqual(["after"]);
  });

  it("fails the run with the reason when its step message is dead-lettered", async () => {
    const { json } = await deliver("run-slow-echo", { text: "a b c d e f g h i j k l m n o p" });
    const runId = json.runId as string;
    await expect.poll(async () => (await trace(runId)).steps[0]?.status, { timeout: 5000 }).toBe("running");
    const step = (await trace(runId)).steps[0];
    if (!step) throw new Error("no step");
    const body: StepMessage = {
      v: 1,
      runId,
      stepId: step.stepId,
      attempt: step.attempt,
      attemptId: step.attemptId,
      resolved: { kind: "llm", model: "echo", prompt: "x", stream: false, timeoutMs: 1000 },
      deadlineMs: Date.now() + 1000,
      enqueuedAt: Date.now(),
    };
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
    const body: StepMessage = {
      v: 1,
      runId,
      stepId: step.stepId,
      attempt: 1,
      attemptId: step.attemptId,
      resolved: { kind: "llm", model: "echo", prompt: "again", stream: false, timeoutMs: 1000 },
      deadlineMs: Date.now() + 1000,
      enqueuedAt: Date.now(),
    };
    const batch = createMessageBatch("hookline-steps", [
      { id: "redelivered", timestamp: new Date(), attempts: 2, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["redelivered"]);
    const after = await trace(runId);
    expect(after.steps).toHaveLength(1);
    expect(after.steps[0]?.deliveries).toBe(1);
  });

  it("fans out 20 items through the queue and joins them in input order", async () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const { json } = await deliver("run-fanout", { items });
    const done = await waitForStatus(json.runId as string, ["completed", "failed"], 20_000);
    expect(done.status).toBe("completed");
    expect(done.steps).toHaveLength(20);
  });
});
