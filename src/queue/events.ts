import { EventBatch, EventEnvelope } from "../engine/messages.ts";
import type { QueueBatch } from "../host/ports.ts";
import type { Resources } from "../host/resources.ts";

/**
 * EVENTS consumer: audit events to the run index (and, in the history issue, Postgres). A message holds
 * one flush's events (`EventBatch`) or, from older senders, one event. Idempotent on the event id, so
 * redelivery is harmless.
 */
export async function handleEventBatch(batch: QueueBatch, res: Resources): Promise<void> {
  const events: EventEnvelope[] = [];
  for (const msg of batch.messages) {
    const many = EventBatch.safeParse(msg.body);
    if (many.success) {
      events.push(...many.data.events);
      continue;
    }
    const one = EventEnvelope.safeParse(msg.body);
    if (one.success) events.push(one.data);
    else console.error(`dropping malformed event message ${msg.id}: ${one.error.issues[0]?.message}`);
  }
  if (events.length > 0) await res.ops().applyRunEvents(events);
  batch.ackAll();
}
