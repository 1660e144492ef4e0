import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { botCalls, sendTelegram, uniqueChat } from "../fixtures/chat.ts";
import { adminHeaders, deliver, trace } from "../fixtures/runs.ts";
import { BASE_URL } from "../fixtures/secrets.ts";
import { adminPost } from "../scenarios/fixtures.ts";

const cancel = (runId: string) =>
  SELF.fetch(`${BASE_URL}/runs/${runId}/cancel`, { method: "POST", headers: adminHeaders });

/** Resets the run's object as a crash or a deploy would; the next call makes a new instance. */
const evict = (runId: string) =>
  runInDurableObject(env.RUNS.getByName(runId), (_instance, state) => state.abort("test: evicted")).catch(
    () => undefined,
  );

// A cancel is committed before it is answered: a restart right after it must not bring the run back.
describe("cancel, then the run's object is evicted", { timeout: 60_000 }, () => {
  it("keeps a chat run cancelled: neither its timer nor a late approval starts a step, and no reply is sent", async () => {
    const chat = uniqueChat();
    // chat-approve: a wait (buttons in the chat, 1 h timeout), then a reply with the answer.
    const ack = await sendTelegram(chat, "/approve refund");
    const runId = ack.runId as string;
    await vi.waitFor(async () => expect((await trace(runId)).status).toBe("waiting"), { timeout: 15_000 });
    const cancelled = await cancel(runId);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ alreadyFinished: false });
    await evict(runId);
    // The new instance finds the run cancelled: an approval that comes late is refused and changes nothing.
    const late = await adminPost(`/runs/${runId}/resume`, { approved: true });
    expect(late.status).not.toBe(200);
    await env.RUNS.getByName(runId).fromSession({ type: "resume", input: { approved: true } });
    await new Promise((r) => setTimeout(r, 500));
    const after = await trace(runId);
    expect(after.status).toBe("cancelled");
    expect(after.output).toBeNull();
    expect((await botCalls(chat, "sendMessage")).map((c) => c.body.text)).not.toContainEqual(
      expect.stringMatching(/approved=|no answer/),
    );
  });

  it("ignores a late result of the attempt the cancel caught, and starts no step again", async () => {
    const text = Array.from({ length: 60 }, (_, i) => `w${i}`).join(" ");
    const { json } = await deliver("run-slow-echo", { text });
    const runId = json.runId as string;
    await vi.waitFor(async () => expect((await trace(runId)).steps[0]?.status).toBe("running"), {
      timeout: 15_000,
      interval: 20,
    });
    expect((await cancel(runId)).status).toBe(200);
    await evict(runId);
    const stub = env.RUNS.getByName(runId);
    const before = await trace(runId);
    expect(before.status).toBe("cancelled");
    const step = before.steps[0];
    if (!step) throw new Error("no step");
    // The attempt's message, as a redelivered STEPS message would bring it: it must not start.
    expect(await stub.stepStarted(step.attemptId)).toEqual({ proceed: false });
    expect(await stub.isOutstanding(step.attemptId)).toBe(false);
    const now = Date.now();
    const late = await stub.stepFinished(step.stepId, step.attemptId, {
      ok: true,
      output: { text: "late" },
      startedAt: now - 100,
      finishedAt: now,
    });
    expect(late).toEqual({ applied: false });
    await new Promise((r) => setTimeout(r, 300));
    const done = await trace(runId);
    expect(done.status).toBe("cancelled");
    expect(done.output).toBeNull();
    expect(done.ignoredResults).toBeGreaterThanOrEqual(1);
    expect(done.steps).toHaveLength(1);
    expect(done.steps[0]).toMatchObject({ attemptId: step.attemptId });
    expect(done.steps[0]?.status).not.toBe("succeeded");
  });
});
