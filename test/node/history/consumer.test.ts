import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../../src/engine/messages.ts";
import type { HistoryStore } from "../../../src/history/store.ts";
import type { QueueBatch, QueueMessage } from "../../../src/host/ports.ts";
import type { Resources } from "../../../src/host/resources.ts";
import { handleEventBatch } from "../../../src/queue/events.ts";
import { freshHistoryDb } from "../../fixtures/history-db.ts";

// The EVENTS consumer against a real database, with the batch as the only stand-in (it is the port the
// runtime hands in): a redelivered batch is written once and acked. (Failure and backoff:
// events-consumer.test.ts.)
function batchOf(bodies: unknown[], attempts = 1) {
  const log: string[] = [];
  const messages: QueueMessage[] = bodies.map((body, i) => ({
    id: `m${i}`,
    timestamp: new Date(),
    body,
    attempts,
    ack: () => log.push(`ack m${i}`),
    retry: () => log.push(`retry m${i}`),
  }));
  const batch: QueueBatch = {
    queue: "hookline-events",
    messages,
    ackAll: () => log.push("ackAll"),
    retryAll: (o) => log.push(`retryAll ${o?.delaySeconds}`),
  };
  return { batch, log };
}

const event = (id: string): EventEnvelope => ({
  v: 1,
  id,
  type: "run.state",
  runId: "run_consumer",
  workflowId: "wf",
  source: "src",
  deliveryKey: null,
  at: 1,
  data: { state: "started", at: 1 },
});

const resWith = (store: HistoryStore) =>
  ({ history: () => store, config: { history: { retention: 30 * 86_400_000 } } }) as unknown as Resources;

describe("EVENTS consumer with history", () => {
  it("writes a redelivered batch once and acks both deliveries", async () => {
    const db = await freshHistoryDb();
    try {
      for (let i = 0; i < 2; i++) {
        const { batch, log } = batchOf([{ v: 1, events: [event("e-1"), event("e-2")] }], i + 1);
        await handleEventBatch(batch, resWith(db.store));
        expect(log).toEqual(["ackAll"]);
      }
      const rows = await db.query<{ n: number }>(
        "select count(*)::int as n from events where run_id = 'run_consumer'",
      );
      expect(rows[0]?.n).toBe(2);
    } finally {
      await db.close();
    }
  });
});
