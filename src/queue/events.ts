import { EventEnvelope } from "../engine/messages.ts";
import type { QueueBatch } from "../host/ports.ts";
import type { Resources } from "../host/resources.ts";

/**
 * EVENTS consumer: audit events to the run index (and, in the history issue, Postgres). Idempotent on the
 * event id, so redelivery is harmless.
 */
export async function handleEventBatch(batch: QueueBatch, res: Resources): Promise<void> {
  const events: EventEnvelope[] = [];
  for (const msg of batch.messages) {
    const parsed = EventEnvelope.safeParse(msg.body);
    if (parsed.success) events.push(parsed.data);
    else console.error(`dropping malformed event ${msg.id}: ${parsed.error.issues[0]?.message}`);
  }
  if (events.length > 0) await res.ops().applyRunEvents(events);
  batch.ackAll();
}
