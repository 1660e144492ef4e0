import { type EventEnvelope, eventBatches } from "../engine/messages.ts";
import { DELIVERY_EVENT } from "../history/fold.ts";
import type { DeliverySummary } from "./ops.ts";
import type { Resources } from "./resources.ts";

/**
 * Where a session's delivery summaries go: with Postgres history, onto the EVENTS queue (its consumer writes
 * them in the same statement as the run events); without it, straight to the Durable Object index.
 */
export async function indexDeliveries(res: Resources, rows: DeliverySummary[]): Promise<void> {
  if (!res.history) {
    await res.ops().indexDeliveries(rows);
    return;
  }
  const events: EventEnvelope[] = rows.map((row) => ({
    v: 1,
    // Stable per (key, seen count): a re-sent flush upserts the same row; a later sighting is a new version.
    id: `delivery:${row.key}:${row.seenCount}`,
    type: DELIVERY_EVENT,
    runId: null,
    workflowId: null,
    source: row.source,
    deliveryKey: row.key,
    at: row.lastSeenAt,
    data: row,
  }));
  await res.events.sendBatch(eventBatches(events).map((body) => ({ body, contentType: "json" as const })));
}

/** Puts parked events back on EVENTS, oldest first, in rounds of up to 500; returns how many went back. */
export async function replayDeadEvents(
  res: Resources,
  max = 10_000,
): Promise<{ replayed: number; left: number }> {
  let replayed = 0;
  for (;;) {
    const { total, events } = await res.ops().deadEvents(500);
    if (events.length === 0 || replayed >= max) return { replayed, left: total };
    await res.events.sendBatch(eventBatches(events).map((body) => ({ body, contentType: "json" as const })));
    await res.ops().dropDeadEvents(events.map((e) => e.id));
    replayed += events.length;
  }
}
