import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../../src/engine/messages.ts";
import type { HistoryStore } from "../../../src/history/store.ts";
import { Ops } from "../../../src/host/ops.ts";
import type { QueueBatch, QueueMessage } from "../../../src/host/ports.ts";
import type { Resources } from "../../../src/host/resources.ts";
import { NodeNamespace } from "../../../src/node/object-host.ts";
import { handleEventBatch } from "../../../src/queue/events.ts";
import { freshHistoryDb } from "../../fixtures/history-db.ts";

// The EVENTS consumer against a real database and a real Ops, with the batch as the only stand-in (it is the
// port the runtime hands in): write, count for /metrics, then ack, once however often it is delivered.
// (Failure and backoff: events-consumer.test.ts.)
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

// The real operator object (it keeps the /metrics counters) over SQLite in a temp dir.
const opsDir = mkdtempSync(join(tmpdir(), "hookline-consumer-"));
const opsNs = new NodeNamespace({ kind: "ops", dir: opsDir, create: (s) => new Ops(s) });
afterAll(async () => {
  await opsNs.close();
  rmSync(opsDir, { recursive: true, force: true });
});

const resWith = (store: HistoryStore) =>
  ({
    history: () => store,
    ops: () => opsNs.getByName("global"),
    config: { history: { retention: 30 * 86_400_000 } },
  }) as unknown as Resources;

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
      // The /metrics counters saw the redelivery too, and counted the run's start once.
      const { values } = await opsNs.getByName("global").metrics();
      expect(values).toContainEqual({
        name: "hookline_runs_started_total",
        labels: '{workflow="wf"}',
        value: 1,
      });
    } finally {
      await db.close();
    }
  });
});
