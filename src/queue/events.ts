import { EventBatch, EventEnvelope } from "../engine/messages.ts";
import type { HistoryStore } from "../history/store.ts";
import type { QueueBatch } from "../host/ports.ts";
import type { Resources } from "../host/resources.ts";

/** How often (per isolate or process) the consumer purges history past its retention. */
const PURGE_EVERY_MS = 10 * 60_000;
let lastPurgeAt = 0;

/**
 * EVENTS consumer. A message holds one flush's events (`EventBatch`) or, from older senders, one event.
 * - With Postgres history: the whole batch is one idempotent statement (keyed by event id); a failure retries
 *   the batch with backoff (2, 4, 8 … 300 s). After the queue's last retry (max_retries = 10, about 18.5 min
 *   of backoff) the batch goes to the EVENTS dead-letter queue, is parked in the OpsObject and waits for
 *   `hookline events replay`: nothing is dropped.
 * - Without: `run.state` events feed the Durable Object run index (idempotent too).
 * Either way the OpsObject adds them to the /metrics counters, once per fact (src/host/metrics.ts).
 */
export async function handleEventBatch(batch: QueueBatch, res: Resources): Promise<void> {
  const events = parseEvents(batch);
  if (events.length === 0) {
    batch.ackAll();
    return;
  }
  if (!res.history) {
    await res.ops().applyRunEvents(events);
    batch.ackAll();
    return;
  }
  const store = res.history();
  try {
    await store.write(events);
    // The /metrics counters (and the live feed), after the write: a batch that never lands in history is not
    // counted either.
    await res.ops().countEvents(events);
    batch.ackAll();
    await purgeNowAndThen(store, res.config.history.retention);
  } catch (err) {
    const attempts = Math.max(...batch.messages.map((m) => m.attempts));
    const delaySeconds = Math.min(2 ** attempts, 300);
    console.warn(
      `history: writing ${events.length} events failed (try ${attempts}, again in ${delaySeconds} s): ${reasonOf(err)}`,
    );
    batch.retryAll({ delaySeconds });
  } finally {
    await store.close().catch(() => {});
  }
}

/**
 * EVENTS dead-letter consumer: parks what exhausted its retries in the operator object, where
 * `GET /admin/events/dead` shows it and `hookline events replay` sends it back to EVENTS.
 */
export async function handleDeadEventBatch(batch: QueueBatch, res: Resources): Promise<void> {
  const events = parseEvents(batch);
  if (events.length > 0) {
    await res.ops().parkDeadEvents(events);
    console.warn(
      `history: ${events.length} events dead-lettered; replay with \`npm run hookline -- events replay\``,
    );
  }
  batch.ackAll();
}

/**
 * Why a statement failed, in one short line. drizzle wraps the driver's error in "Failed query: <statement>
 * params: <parameters>", and the parameters are the whole batch (100 KB and more, with payload previews):
 * the log needs the driver's own reason (its `cause`, an Error or, for a WebSocket that never opened, an
 * ErrorEvent), not the batch.
 */
export function reasonOf(err: unknown): string {
  const messageOf = (x: unknown): string | undefined => {
    const m = (x as { message?: unknown } | null)?.message;
    return typeof m === "string" && m.trim() !== "" ? m : undefined;
  };
  const e = err as { cause?: unknown; query?: unknown } | null;
  const wrapped = typeof e?.query === "string";
  const raw =
    messageOf(e?.cause) ??
    (wrapped ? `query failed (${String(e?.cause ?? "no reason given")})` : (messageOf(err) ?? String(err)));
  const message = raw.replace(/\s+/g, " ").trim();
  if (message === "") return "unknown error";
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function parseEvents(batch: QueueBatch): EventEnvelope[] {
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
  return events;
}

/** Retention, in small bites after a successful write; a failure here never fails the batch. */
async function purgeNowAndThen(store: HistoryStore, retentionMs: number): Promise<void> {
  const now = Date.now();
  if (now - lastPurgeAt < PURGE_EVERY_MS) return;
  lastPurgeAt = now;
  try {
    const gone = await store.purge(now - retentionMs);
    if (gone.runs > 0 || gone.deliveries > 0) {
      console.log(`history: purged ${gone.runs} runs and ${gone.deliveries} deliveries past retention`);
    }
  } catch (err) {
    console.warn(`history: purge failed: ${reasonOf(err)}`);
  }
}
