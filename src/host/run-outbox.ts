import { and, eq, inArray, lte, sql } from "drizzle-orm";
import { type ReplyMessage, sendCallbackReply } from "../channels/callback.ts";
import { chatSenderFor } from "../channels/senders.ts";
import type { Source } from "../config/schema.ts";
import { outbox } from "../db/durable/run-schema.ts";
import { type EventEnvelope, eventBatches } from "../engine/messages.ts";
import type { StoragePort } from "./ports.ts";
import { RunToSession } from "./protocol.ts";
import type { Resources } from "./resources.ts";
import { type ChatOrigin, insertEvent, pendingOutbox, type RunDb, type RunIdentity } from "./run-store.ts";
import { prepared } from "./sqlite.ts";

const OUTBOX_BATCH = 100; // Queue sendBatch takes at most 100 messages.
/**
 * A reply or session notice that keeps failing retriably is retried with backoff for this long (Telegram
 * retries a webhook for about a day, too), then dropped and recorded as `run.<kind>_failed`. A count of tries
 * would drop every reply of an outage longer than a few minutes.
 */
export const DELIVERY_RETRY_WINDOW_MS = 24 * 60 * 60_000;
const DELIVERY_BACKOFF_MS = 1_000;
/**
 * How long after a delivery round starts the run wakes to check on it; above the chat senders' own timeouts
 * (Telegram's 30 s per call), so a slow but live round is not raced, only a dead one resumed.
 */
export const DELIVERY_WATCHDOG_MS = 45_000;
const MAX_DELIVERY_BACKOFF_MS = 60_000;

type Outcome = { ok: true } | { ok: false; retriable: boolean; reason: string; retryAfterMs?: number };

/**
 * The backoff before try `tries + 1` of a delivery: 1, 2, 4 … 60 s, shortened at random by up to 20% so the
 * replies of many runs that failed together (an outage) do not retry in lockstep; a Retry-After wins.
 */
export function deliveryBackoffMs(tries: number, retryAfterMs?: number, random = Math.random()): number {
  const base = Math.min(DELIVERY_BACKOFF_MS * 2 ** Math.max(0, tries - 1), MAX_DELIVERY_BACKOFF_MS);
  return Math.max(Math.round(base * (1 - 0.2 * random)), retryAfterMs ?? 0);
}

/** Sends committed STEPS messages and events in batches, deleting each batch once the queue took it. */
export async function sendQueuedOutbox(db: RunDb, res: Resources): Promise<void> {
  for (;;) {
    const rows = pendingOutbox(db, OUTBOX_BATCH, ["step", "event"]);
    if (rows.length === 0) return;
    const batch = (kind: string) =>
      rows
        .filter((r) => r.kind === kind)
        .map((r) => ({ body: JSON.parse(r.payload), contentType: "json" as const }));
    const steps = batch("step");
    // An event row holds one transition's events (an array); rows from before that hold one envelope.
    const events = batch("event").flatMap((e) => e.body as EventEnvelope | EventEnvelope[]);
    if (steps.length > 0) await res.steps.sendBatch(steps);
    if (events.length > 0) {
      await res.events.sendBatch(
        eventBatches(events).map((body) => ({ body, contentType: "json" as const })),
      );
    }
    prepared(db, "run:outbox.sentQueued", (d) =>
      d
        .delete(outbox)
        .where(and(inArray(outbox.kind, ["step", "event"]), lte(outbox.id, sql.placeholder("last"))))
        .prepare(),
    ).run({ last: rows.at(-1)?.id ?? 0 });
  }
}

export interface DeliveryContext {
  db: RunDb;
  res: Resources;
  storage: StoragePort;
  who: RunIdentity;
  chat: ChatOrigin | undefined;
  /** When each failed delivery row may be tried again (kept by the run instance; lost on eviction). */
  holds: Map<number, number>;
}

/**
 * Replies (chat or signed callback) and messages to the session (approval prompts, "run finished"), one by one.
 * A retriable failure stays, held back for its backoff (`deliveryBackoffMs`): the alarm retries it, and a flush
 * before then skips it. After `DELIVERY_RETRY_WINDOW_MS` it is dropped and recorded as `run.<kind>_failed`.
 */
export async function sendDeliveries(ctx: DeliveryContext): Promise<void> {
  const rows = pendingOutbox(ctx.db, OUTBOX_BATCH, ["reply", "session"]);
  if (rows.length === 0) return;
  const { config } = ctx.res;
  const source = ctx.who.source ? config.sources[ctx.who.source] : undefined;
  for (const row of rows) {
    if ((ctx.holds.get(row.id) ?? 0) > Date.now()) continue;
    const outcome = await deliver(ctx, row.kind, row.payload, source, config.http.allowHosts);
    if (!outcome.ok && outcome.retriable && Date.now() - row.createdAt < DELIVERY_RETRY_WINDOW_MS) {
      const tries = row.attempts + 1;
      ctx.holds.set(row.id, Date.now() + deliveryBackoffMs(tries, outcome.retryAfterMs));
      ctx.db.update(outbox).set({ attempts: tries }).where(eq(outbox.id, row.id)).run();
      continue;
    }
    ctx.holds.delete(row.id);
    ctx.storage.transactionSync(() => {
      ctx.db.delete(outbox).where(eq(outbox.id, row.id)).run();
      if (!outcome.ok)
        insertEvent(ctx.db, ctx.who, `run.${row.kind}_failed`, { reason: outcome.reason }, Date.now());
    });
  }
}

async function deliver(
  ctx: DeliveryContext,
  kind: string,
  payload: string,
  source: Source | undefined,
  allowHosts: readonly string[],
): Promise<Outcome> {
  const { chat, res } = ctx;
  try {
    if (kind === "session") {
      if (!chat) return { ok: false, retriable: false, reason: "no session to tell" };
      const message = RunToSession.parse(JSON.parse(payload));
      await res.sessions.getByName(chat.sessionKey).fromRun(message);
      return { ok: true };
    }
    const reply = JSON.parse(payload) as ReplyMessage;
    if (chat && source) {
      const target = chatSenderFor(res.secrets, source, chat.target);
      await target?.sender.sendText(target.chatId, reply.text);
      return { ok: true };
    }
    return await sendCallbackReply(res.secrets, source, reply, allowHosts, res.outboundFetch);
  } catch (err) {
    const e = err as { retriable?: boolean; message?: string; retryAfterMs?: number };
    return {
      ok: false,
      retriable: e.retriable ?? true,
      reason: e.message ?? String(err),
      retryAfterMs: e.retryAfterMs,
    };
  }
}

/**
 * The outbox pump of one run: STEPS and EVENTS sent after each commit (a failure bumps the first row's try
 * count, for the alarm's backoff), chat and callback deliveries in the background.
 */
export function createRunPump(opts: {
  db: RunDb;
  res: Resources;
  storage: StoragePort;
  origin: () => { who: RunIdentity; chat: ChatOrigin | undefined } | undefined;
  afterDeliveries: () => Promise<void>;
  waitUntil: (p: Promise<unknown>) => void;
}): OutboxPump {
  const { db, res, storage } = opts;
  const holds = new Map<number, number>();
  return new OutboxPump({
    sendQueued: () => sendQueuedOutbox(db, res),
    sendDeliveries: () => {
      const o = opts.origin();
      return o ? sendDeliveries({ db, res, storage, holds, ...o }) : Promise.resolve();
    },
    nextDeliveryAt: () => {
      const pending = pendingOutbox(db, OUTBOX_BATCH, ["reply", "session"]);
      if (pending.length === 0) return undefined;
      // A row with no hold (a new one, or held by an instance that is gone) is due now.
      return Math.min(...pending.map((r) => holds.get(r.id) ?? Date.now()));
    },
    onQueuedError: (err) => {
      const tries = (pendingOutbox(db, 1)[0]?.attempts ?? 0) + 1;
      db.update(outbox).set({ attempts: tries }).run();
      console.warn(`run outbox send failed (try ${tries}): ${(err as Error).message}`);
    },
    afterDeliveries: opts.afterDeliveries,
    waitUntil: opts.waitUntil,
  });
}

export interface PumpHooks {
  sendQueued(): Promise<void>;
  sendDeliveries(): Promise<void>;
  /** When the earliest pending delivery may be tried again; undefined: none pending. */
  nextDeliveryAt(): number | undefined;
  onQueuedError(err: unknown): void;
  afterDeliveries(): Promise<void>;
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * Drives a RunObject's outbox after each commit. STEPS messages and events are awaited (the next step must
 * not wait). Chat and callback deliveries run in the background: they may call back into the session that
 * is calling the run (a run-finished notice during its cancel), so awaiting them would deadlock the two
 * objects. Each side is single-flight with a dirty flag: rows committed while a send is in flight go out in
 * the same flight instead of waiting for the alarm.
 */
export class OutboxPump {
  private readonly hooks: PumpHooks;
  private flushing: Promise<void> | undefined;
  private flushDirty = false;
  private delivering: Promise<void> | undefined;
  private deliverDirty = false;

  constructor(hooks: PumpHooks) {
    this.hooks = hooks;
  }

  /**
   * When the alarm should retry deliveries: the earliest held-back row's time; while a delivery round is in
   * flight and rows are pending, a watchdog `DELIVERY_WATCHDOG_MS` away instead. The round re-arms the alarm
   * when it ends, so a hanging Bot API wakes the run only that often; and if this instance dies mid-send (a
   * crash, an eviction, a deploy), the watchdog is what wakes the run to send the row again. Without it the
   * reply of a run that was killed while sending it was never sent.
   */
  nextDeliveryAt(): number | undefined {
    const due = this.hooks.nextDeliveryAt();
    if (!this.delivering || due === undefined) return due;
    return Date.now() + DELIVERY_WATCHDOG_MS;
  }

  flush(): Promise<void> {
    this.flushDirty = true;
    this.flushing ??= (async () => {
      try {
        while (this.flushDirty) {
          this.flushDirty = false;
          await this.hooks.sendQueued();
        }
      } catch (err) {
        this.hooks.onQueuedError(err);
      } finally {
        this.flushing = undefined;
      }
    })();
    this.kickDeliveries();
    return this.flushing;
  }

  private kickDeliveries(): void {
    this.deliverDirty = true;
    if (this.delivering) return;
    this.delivering = (async () => {
      try {
        while (this.deliverDirty) {
          this.deliverDirty = false;
          await this.hooks.sendDeliveries();
        }
      } catch (err) {
        console.warn(`run delivery failed: ${(err as Error).message}`);
      } finally {
        this.delivering = undefined;
        await this.hooks.afterDeliveries();
      }
    })();
    this.hooks.waitUntil(this.delivering);
  }
}
