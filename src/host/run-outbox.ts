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
const MAX_REPLY_TRIES = 8;

type Outcome = { ok: true } | { ok: false; retriable: boolean; reason: string };

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
}

/**
 * Replies (chat or signed callback) and messages to the session (approval prompts, "run finished"), one by one:
 * a retriable failure stays for the alarm; after 8 tries it is dropped and recorded as `run.<kind>_failed`.
 */
export async function sendDeliveries(ctx: DeliveryContext): Promise<void> {
  const rows = pendingOutbox(ctx.db, OUTBOX_BATCH, ["reply", "session"]);
  if (rows.length === 0) return;
  const { config } = ctx.res;
  const source = ctx.who.source ? config.sources[ctx.who.source] : undefined;
  for (const row of rows) {
    const outcome = await deliver(ctx, row.kind, row.payload, source, config.http.allowHosts);
    if (!outcome.ok && outcome.retriable && row.attempts < MAX_REPLY_TRIES) {
      ctx.db
        .update(outbox)
        .set({ attempts: row.attempts + 1 })
        .where(eq(outbox.id, row.id))
        .run();
      continue;
    }
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
    const e = err as { retriable?: boolean; message?: string };
    return { ok: false, retriable: e.retriable ?? true, reason: e.message ?? String(err) };
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
  return new OutboxPump({
    sendQueued: () => sendQueuedOutbox(db, res),
    sendDeliveries: () => {
      const o = opts.origin();
      return o ? sendDeliveries({ db, res, storage, ...o }) : Promise.resolve();
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
