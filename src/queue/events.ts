import { OPS_INSTANCE } from "../durable/ops.ts";
import type { Env } from "../env.ts";
import { EventEnvelope } from "./messages.ts";

/**
 * EVENTS consumer: audit events to the run index (and, in the history issue, Postgres). Idempotent on the
 * event id, so redelivery is harmless.
 */
export async function handleEventBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const events: EventEnvelope[] = [];
  for (const msg of batch.messages) {
    const parsed = EventEnvelope.safeParse(msg.body);
    if (parsed.success) events.push(parsed.data);
    else console.error(`dropping malformed event ${msg.id}: ${parsed.error.issues[0]?.message}`);
  }
  if (events.length > 0) await env.OPS.getByName(OPS_INSTANCE).applyRunEvents(events);
  batch.ackAll();
}
