import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { QueueBatch } from "../../../src/host/ports.ts";
import {
  createQueues,
  type NodeQueues,
  type QueueConfig,
  type QueuesOptions,
} from "../../../src/node/queue.ts";
import { sleep, tempDir, waitFor } from "./tmp.ts";

const base: QueueConfig = { name: "q", maxBatchSize: 10, maxBatchTimeoutMs: 0, maxRetries: 3 };
const opened: NodeQueues[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close()));
  vi.restoreAllMocks();
});

function queues(file: string, topology: QueueConfig[] = [base], options: QueuesOptions = {}) {
  const q = createQueues(file, topology, { closeTimeoutMs: 100, ...options });
  opened.push(q);
  return q;
}

/** Records every delivery as [body, attempts]. */
function recorder(handle: (batch: QueueBatch) => Promise<void> | void = () => {}) {
  const seen: [unknown, number][] = [];
  const batches: number[] = [];
  const handler = async (batch: QueueBatch) => {
    batches.push(batch.messages.length);
    for (const m of batch.messages) seen.push([m.body, m.attempts]);
    await handle(batch);
  };
  return { seen, batches, handler };
}

describe("node queues", () => {
  it("delivers every message at least once, with attempts starting at 1, durable across a reopen", async () => {
    const file = join(tempDir(), "queues.sqlite");
    const first = queues(file);
    await first.producer("q").send({ a: 1, when: new Date(5) });
    await first.producer("q").sendBatch([{ body: "x", contentType: "json" }, { body: 3 }]);
    await first.close();
    const r = recorder();
    queues(file).consume("q", r.handler);
    await waitFor(() => r.seen.length === 3, "three deliveries");
    expect(r.seen).toEqual([
      [{ a: 1, when: new Date(5) }, 1],
      ["x", 1],
      [3, 1],
    ]);
  });

  it("acks on resolve, retries on throw, and lets explicit ack/retry win", async () => {
    const r = recorder((batch) => {
      for (const m of batch.messages) {
        if (m.body === "ack-then-throw" && m.attempts === 1) m.ack();
        if (m.body === "retry" && m.attempts === 1) m.retry();
      }
      if (batch.messages.some((m) => m.body === "throw" && m.attempts === 1)) throw new Error("boom");
    });
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const q = queues(join(tempDir(), "queues.sqlite"));
    q.consume("q", r.handler);
    await q.producer("q").sendBatch([{ body: "throw" }, { body: "ack-then-throw" }, { body: "retry" }]);
    await waitFor(() => r.seen.length === 5, "redeliveries");
    await sleep(50);
    expect(r.seen.filter(([b]) => b === "throw").map(([, a]) => a)).toEqual([1, 2]);
    expect(r.seen.filter(([b]) => b === "ack-then-throw").map(([, a]) => a)).toEqual([1]);
    expect(r.seen.filter(([b]) => b === "retry").map(([, a]) => a)).toEqual([1, 2]);
  });

  it("honours delaySeconds on send and on retry", async () => {
    const times: number[] = [];
    const r = recorder((batch) => {
      times.push(Date.now());
      for (const m of batch.messages) if (m.attempts === 1) m.retry({ delaySeconds: 0.2 });
    });
    const q = queues(join(tempDir(), "queues.sqlite"));
    q.consume("q", r.handler);
    const sentAt = Date.now();
    await q.producer("q").send("later", { delaySeconds: 0.1 });
    await waitFor(() => r.seen.length === 2, "delayed delivery and delayed retry");
    expect((times[0] ?? 0) - sentAt).toBeGreaterThanOrEqual(95);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(195);
  });

  it("moves a message to the dead-letter queue after maxRetries retries", async () => {
    const topology = [
      { ...base, maxRetries: 2, deadLetterQueue: "dlq" },
      { ...base, name: "dlq" },
    ];
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const failing = recorder(() => {
      throw new Error("always");
    });
    const dead = recorder();
    const q = queues(join(tempDir(), "queues.sqlite"), topology);
    q.consume("q", failing.handler);
    q.consume("dlq", dead.handler);
    await q.producer("q").send("poison");
    await waitFor(() => dead.seen.length === 1, "dead letter");
    expect(failing.seen).toEqual([
      ["poison", 1],
      ["poison", 2],
      ["poison", 3],
    ]);
    expect(dead.seen).toEqual([["poison", 1]]);
  });

  it("drops a message after its last retry when there is no dead-letter queue, with a warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const r = recorder((batch) => batch.retryAll());
    const q = queues(join(tempDir(), "queues.sqlite"), [{ ...base, maxRetries: 1 }]);
    q.consume("q", r.handler);
    await q.producer("q").send("poison");
    await waitFor(() => warn.mock.calls.some(([m]) => String(m).includes("dropped")), "drop warning");
    expect(r.seen.map(([, a]) => a)).toEqual([1, 2]);
  });

  it("redelivers a message whose handler never finished once its lease lapses after a restart", async () => {
    const file = join(tempDir(), "queues.sqlite");
    const first = queues(file);
    const hung = recorder(() => new Promise<void>(() => {}));
    first.consume("q", hung.handler);
    // Before the send, so no later than the lease the delivery takes (a stamp after waitFor's poll could be
    // a few ms late, which once made the bound below fail by 1 ms).
    const leasedAt = Date.now();
    await first.producer("q").send("job");
    await waitFor(() => hung.seen.length === 1, "first delivery");
    await first.close(); // gives up on the hung handler after 100 ms: a crash, as far as the file knows
    const r = recorder();
    queues(file, [base], { leaseMs: 250 }).consume("q", r.handler);
    await sleep(50);
    expect(r.seen).toEqual([]); // the lease still holds
    await waitFor(() => r.seen.length === 1, "redelivery");
    expect(r.seen).toEqual([["job", 2]]);
    expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(250);
  });

  it("renews the lease of a long handler, so it is not redelivered while it runs", async () => {
    let release = () => {};
    const r = recorder(() => new Promise<void>((resolve) => (release = resolve)));
    const q = queues(join(tempDir(), "queues.sqlite"), [base], { leaseMs: 60 });
    q.consume("q", r.handler);
    await q.producer("q").send("long");
    await sleep(250);
    release();
    await sleep(50);
    expect(r.seen).toEqual([["long", 1]]);
  });

  it("fills batches up to maxBatchSize and waits at most maxBatchTimeoutMs", async () => {
    const r = recorder();
    const q = queues(join(tempDir(), "queues.sqlite"), [
      { ...base, maxBatchSize: 3, maxBatchTimeoutMs: 150 },
    ]);
    q.consume("q", r.handler);
    const p = q.producer("q");
    await p.sendBatch([{ body: 1 }, { body: 2 }, { body: 3 }, { body: 4 }]);
    await waitFor(() => r.batches.length === 1, "full batch");
    expect(r.batches).toEqual([3]);
    await sleep(60);
    expect(r.batches).toEqual([3]);
    await waitFor(() => r.batches.length === 2, "batch after the timeout", 3_000);
    expect(r.batches).toEqual([3, 1]);
  });

  it("runs several batches of one queue at once, up to maxConcurrentBatches", async () => {
    let running = 0;
    let peak = 0;
    const r = recorder(async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(60);
      running--;
    });
    const q = queues(join(tempDir(), "queues.sqlite"), [
      { ...base, maxBatchSize: 1, maxConcurrentBatches: 3 },
    ]);
    q.consume("q", r.handler);
    await q.producer("q").sendBatch([1, 2, 3, 4, 5].map((body) => ({ body })));
    await waitFor(() => r.seen.length === 5, "all five");
    expect(peak).toBe(3);
  });

  it("rejects unknown queues and out-of-range delays", async () => {
    const q = queues(join(tempDir(), "queues.sqlite"));
    expect(() => q.producer("nope")).toThrow(/unknown queue/);
    await expect(q.producer("q").send(1, { delaySeconds: 50_000 })).rejects.toThrow(RangeError);
  });
});
