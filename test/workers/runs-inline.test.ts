import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  runInDurableObject,
} from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { botCalls, sendTelegram, uniqueChat, waitForTexts } from "../fixtures/chat.ts";
import { deliver, stepMessageFor, trace, waitForStatus } from "../fixtures/runs.ts";

// Sequential steps run inside the RunObject (no queue hop). These are the invariants that path must keep.
describe("inline steps", { timeout: 60_000 }, () => {
  it("applies an inline step once when the object is reset during the step: the next instance hands it to the queue", async () => {
    const { json } = await deliver("run-slow-echo", { text: "one two three four five six seven eight" });
    const runId = json.runId as string;
    const stub = env.RUNS.getByName(runId);
    await vi.waitFor(
      async () => expect((await trace(runId)).steps[0]).toMatchObject({ status: "running", mode: "inline" }),
      {
        timeout: 15_000,
        interval: 20,
      },
    );
    // Reset the object as a crash or a deploy would: its in-flight inline call dies with it.
    await runInDurableObject(stub, (_instance, state) => state.abort("test: reset mid-step")).catch(
      () => undefined,
    );
    // Any call wakes a new instance; it finds the open inline attempt that nothing runs and queues it.
    const done = await waitForStatus(runId, ["completed", "failed"], 45_000);
    expect(done.status).toBe("completed");
    expect(done.steps).toHaveLength(1);
    expect(done.steps[0]).toMatchObject({ status: "succeeded", mode: "queue", deliveries: 2 });
    // Applied once: one step counted, its tokens counted once.
    expect(done.usage.steps).toBe(1);
    expect(done.usage.outputTokens).toBe(done.steps[0]?.outputTokens);
    expect(done.output).toEqual({ text: "echo: one two three four five six seven eight" });
  });

  it("runs every step of a sequential chain inline, and a fan-out through the queue", async () => {
    const chain = await deliver("run-chain", { text: "a" });
    const done = await waitForStatus(chain.json.runId as string, ["completed"]);
    expect(done.steps.map((s) => [s.stepId, s.mode])).toEqual([
      ["one", "inline"],
      ["two", "inline"],
      ["three", "inline"],
    ]);
    expect(done.output).toEqual({ text: "echo: echo: echo: a" });
    const fan = await deliver("run-fanout", { items: [1, 2, 3] });
    const fanned = await waitForStatus(fan.json.runId as string, ["completed"]);
    expect(fanned.steps.filter((s) => s.mode !== "pure").map((s) => s.mode)).toEqual([
      "queue",
      "queue",
      "queue",
    ]);
  });

  it("sends a chat reply once when the step's message is redelivered and its result replayed", async () => {
    const chat = uniqueChat();
    const ack = await sendTelegram(chat, "hello once");
    const runId = ack.runId as string;
    expect(await waitForTexts(chat, 1)).toEqual(["echo: hello once"]);
    const done = await waitForStatus(runId, ["completed"]);
    const step = done.steps[0];
    if (!step) throw new Error("no step");
    expect(step.mode).toBe("inline");
    // The queue redelivers the attempt (at-least-once), and a worker replays its result.
    const body = stepMessageFor(runId, { ...step, attempt: 1 }, "hello once");
    const batch = createMessageBatch("hookline-steps", [
      { id: "again", timestamp: new Date(), attempts: 2, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["again"]);
    const replay = await env.RUNS.getByName(runId).stepFinished(step.stepId, step.attemptId, {
      ok: true,
      output: { text: "echo: hello once" },
      startedAt: Date.now(),
      finishedAt: Date.now(),
    });
    expect(replay.applied).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    expect((await botCalls(chat, "sendMessage")).map((c) => c.body.text)).toEqual(["echo: hello once"]);
  });

  it("aborts an inline llm step on /stop", async () => {
    const chat = uniqueChat();
    const ack = await sendTelegram(chat, "/slow tell me more");
    const runId = ack.runId as string;
    await vi.waitFor(
      async () => expect((await trace(runId)).steps[0]).toMatchObject({ status: "running", mode: "inline" }),
      {
        timeout: 15_000,
        interval: 20,
      },
    );
    await sendTelegram(chat, "/stop");
    await vi.waitFor(async () => expect((await trace(runId)).steps[0]?.status).toBe("cancelled"), {
      timeout: 15_000,
    });
    const done = await trace(runId);
    expect(done.status).toBe("cancelled");
    expect(done.steps[0]?.abortLatencyMs).toEqual(expect.any(Number));
    // 50+ words at 100 ms each would take over 5 s: the step ended because it was aborted.
    expect(done.steps[0]?.latencyMs ?? Number.POSITIVE_INFINITY).toBeLessThan(4_000);
  });
});
