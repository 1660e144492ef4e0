import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";

afterEach(() => vi.restoreAllMocks());

describe("STEPS consumer", () => {
  it("drops (acks, never retries) a message that is not a step, and says so in the log", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    });
    const batch = createMessageBatch<unknown>("hookline-steps", [
      { id: "junk-1", timestamp: new Date(), attempts: 1, body: { hello: "world" } },
      { id: "junk-2", timestamp: new Date(), attempts: 3, body: "not even an object" },
      { id: "junk-3", timestamp: new Date(), attempts: 1, body: { v: 1, runId: 42, stepId: null } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["junk-1", "junk-2", "junk-3"]);
    expect(result.retryMessages).toEqual([]);
    expect(logged.filter((l) => l.startsWith("dropping malformed STEPS message"))).toHaveLength(3);
  });
});
