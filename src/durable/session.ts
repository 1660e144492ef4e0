import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, lte, min, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { z } from "zod";
import migrations from "../../migrations/durable/session/migrations.js";
import { configFor } from "../config/runtime.ts";
import { InboundEvent } from "../core/inbound-event.ts";
import { Intent } from "../core/intent.ts";
import { type DeliveryRow, deliveries, outbox } from "../db/durable/session-schema.ts";
import type { Env } from "../env.ts";
import { OPS_INSTANCE } from "./ops.ts";
import { runIdFor } from "./run-id.ts";
import { ChatSession, type IntentRow } from "./session-chat.ts";

export { runIdFor };

export const RecordInput = z.object({
  event: InboundEvent,
  retentionMs: z.number().int().positive(),
  /** What the delivery asks for (a run, a command, a button press), decided at ingress. */
  intent: Intent.optional(),
  /** The trigger decision to keep with the record (reaction.match / reaction.skip). */
  decision: z.object({ event: z.string(), data: z.record(z.string(), z.unknown()) }).optional(),
});
export type RecordInput = z.input<typeof RecordInput>;

export type RecordResult = {
  status: "accepted" | "recorded" | "duplicate";
  deliveryKey: string;
  seenCount: number;
  firstSeenAt: number;
  /** The run this delivery starts (or started), derived from the delivery key: a duplicate gets the same id. */
  runId?: string;
};

/** The ledger columns `record` reads, as SQLite returns them. */
type LedgerRow = {
  source: string;
  channel: string;
  kind: string;
  outcome: string;
  received_at: number;
  expires_at: number;
  seen_count: number;
  decision: string | null;
};

/** What the index learns about a ledger row; everything but the payload. */
export type DeliverySummary = Omit<DeliveryRow, "event"> & { sessionKey: string };

/** The admin index is eventually consistent; batching a second of ledger changes per flush keeps it cheap. */
const FLUSH_DELAY_MS = 1_000;
const FLUSH_BATCH = 200;
const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * One per conversation (Telegram chat, WhatsApp sender, generic session key). Holds the dedup ledger.
 *
 * Ordering rule: `record` runs its check-and-insert synchronously in one SQLite transaction, with no await
 * in between, so concurrent copies of a delivery are serialized by the object's input gate and exactly one
 * is accepted. The caller acknowledges the sender only after this RPC returns, and workerd releases the
 * RPC's response only after the write is durable (output gate): recorded before acknowledged.
 */
export class SessionObject extends DurableObject<Env> {
  private readonly db;
  private flushScheduled = false;
  private readonly chat: ChatSession;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage);
    this.chat = new ChatSession(this.db, env, ctx);
    ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
      this.flushScheduled = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /**
   * Records a delivery once. A repeat is counted and reported as a duplicate, never accepted twice.
   * This is the webhook ack's hot path, so it speaks SQL directly (the tables are drizzle's, in
   * src/db/durable/session-schema.ts) and does four statements at most, in one transaction.
   */
  async record(input: RecordInput): Promise<RecordResult> {
    const { event, retentionMs, intent, decision } = RecordInput.parse(input);
    const now = Date.now();
    const runId =
      intent?.type === "run" && event.kind !== "status" ? await runIdFor(event.deliveryKey) : undefined;
    const sql = this.ctx.storage.sql;
    const result = this.ctx.storage.transactionSync((): RecordResult => {
      const existing = sql
        .exec<LedgerRow>(
          "SELECT source, channel, kind, outcome, received_at, expires_at, seen_count, decision FROM deliveries WHERE key = ?",
          event.deliveryKey,
        )
        .toArray()[0];
      if (existing) {
        const seenCount = existing.seen_count + 1;
        sql.exec(
          "UPDATE deliveries SET seen_count = ?, last_seen_at = ? WHERE key = ?",
          seenCount,
          now,
          event.deliveryKey,
        );
        this.enqueueIndex(
          {
            key: event.deliveryKey,
            source: existing.source,
            channel: existing.channel,
            kind: existing.kind as DeliveryRow["kind"],
            outcome: existing.outcome as DeliveryRow["outcome"],
            receivedAt: existing.received_at,
            expiresAt: existing.expires_at,
            seenCount,
            lastSeenAt: now,
            decision: existing.decision,
          },
          event.sessionKey,
          now,
        );
        return {
          status: "duplicate",
          deliveryKey: event.deliveryKey,
          seenCount,
          firstSeenAt: existing.received_at,
          // Only deliveries that started a run name one; a duplicate of a status names none.
          runId: existing.outcome === "accepted" ? runId : undefined,
        };
      }
      const row: Omit<DeliveryRow, "event"> = {
        key: event.deliveryKey,
        source: event.source,
        channel: event.channel,
        kind: event.kind,
        outcome: event.kind === "status" ? "recorded" : "accepted",
        receivedAt: now,
        expiresAt: now + retentionMs,
        seenCount: 1,
        lastSeenAt: now,
        decision: decision ? JSON.stringify(decision) : null,
      };
      sql.exec(
        "INSERT INTO deliveries (key, source, channel, kind, outcome, received_at, expires_at, seen_count, last_seen_at, event, decision) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
        row.key,
        row.source,
        row.channel,
        row.kind,
        row.outcome,
        now,
        row.expiresAt,
        now,
        JSON.stringify(event),
        row.decision,
      );
      this.enqueueIndex(row, event.sessionKey, now);
      if (intent && intent.type !== "skip" && row.outcome === "accepted") {
        const payload: IntentRow = { deliveryKey: row.key, intent, runId };
        sql.exec(
          "INSERT INTO outbox (kind, payload, created_at) VALUES ('intent', ?, ?)",
          JSON.stringify(payload),
          now,
        );
      }
      return { status: row.outcome, deliveryKey: row.key, seenCount: 1, firstSeenAt: now, runId };
    });
    // Carry the intent out right away, after the ack; if that fails, the alarm retries from the outbox.
    if (result.status === "accepted" && intent && intent.type !== "skip") {
      // In a later task, so the ack does not wait behind the work it triggers (the output gate would hold
      // this RPC's answer for the writes the work makes before its first await).
      this.ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 0)).then(() => this.drain()));
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      await this.ctx.storage.setAlarm(now + FLUSH_DELAY_MS);
    }
    return result;
  }

  /** The full ledger row (its `event` is the normalized InboundEvent as JSON), or null once it has expired. */
  async getDelivery(key: string): Promise<DeliveryRow | null> {
    return (
      this.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.key, z.string().parse(key)))
        .get() ?? null
    );
  }

  /** A run of this session finished: the next queued message may start. */
  async runFinished(runId: string): Promise<void> {
    await this.serial(() => this.chat.runFinished(z.string().parse(runId)));
  }

  /** A run of this session waits for a person: send the prompt with approval buttons. */
  async requestApproval(args: {
    runId: string;
    waitId: string;
    stepId: string;
    prompt: string;
    allowed: string[];
    deliveryKey: string;
  }): Promise<string> {
    return this.serial(() => this.chat.requestApproval(args));
  }

  /** Carries out recorded intents in order, one at a time (a chat's ordering guarantee). */
  private drain(): Promise<void> {
    return this.serial(async () => {
      for (;;) {
        const row = this.db
          .select()
          .from(outbox)
          .where(eq(outbox.kind, "intent"))
          .orderBy(asc(outbox.id))
          .limit(1)
          .get();
        if (!row) return;
        await this.chat.handle(JSON.parse(row.payload) as IntentRow);
        this.db.delete(outbox).where(eq(outbox.id, row.id)).run();
      }
    }).catch(async (err) => {
      console.warn(`session work failed, retrying by alarm: ${(err as Error).message}`);
      await this.ctx.storage.setAlarm(Date.now() + 1_000);
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** Starts pending runs, flushes the index outbox, purges expired keys, and sleeps until the next expiry. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let retryAt: number | undefined;
    const backoff = (attempts: number) => now + Math.min(1_000 * 2 ** attempts, MAX_BACKOFF_MS);
    await this.drain();
    await this.serial(() => this.chat.closeCollectWindow(now));
    if (this.db.select({ id: outbox.id }).from(outbox).where(eq(outbox.kind, "intent")).get()) {
      retryAt = backoff(1);
    }
    const pending = this.db
      .select()
      .from(outbox)
      .where(eq(outbox.kind, "index"))
      .orderBy(asc(outbox.id))
      .limit(FLUSH_BATCH)
      .all();
    if (pending.length > 0) {
      try {
        const rows = pending.map((p) => JSON.parse(p.payload) as DeliverySummary);
        await this.env.OPS.getByName(OPS_INSTANCE).indexDeliveries(rows);
        // Pending rows are the oldest index ids in order, so one range delete removes exactly them (and stays
        // under SQLite's bound-parameter limit, which an IN list of a full batch would not).
        this.db
          .delete(outbox)
          .where(and(eq(outbox.kind, "index"), lte(outbox.id, pending.at(-1)?.id ?? 0)))
          .run();
      } catch (err) {
        const attempts = (pending[0]?.attempts ?? 0) + 1;
        this.db
          .update(outbox)
          .set({ attempts: sql`${outbox.attempts} + 1` })
          .where(eq(outbox.kind, "index"))
          .run();
        retryAt = Math.min(retryAt ?? Number.POSITIVE_INFINITY, backoff(attempts));
        console.warn(`session outbox flush failed (attempt ${attempts}): ${(err as Error).message}`);
      }
    }
    this.db.delete(deliveries).where(lte(deliveries.expiresAt, now)).run();
    const more = this.db.select({ id: outbox.id }).from(outbox).limit(1).get();
    const nextExpiry =
      this.db
        .select({ at: min(deliveries.expiresAt) })
        .from(deliveries)
        .get()?.at ?? undefined;
    const wake = [retryAt, more ? now + FLUSH_DELAY_MS : undefined, this.chat.nextWake()].filter(
      (t): t is number => t !== undefined,
    );
    const next = wake.length > 0 ? Math.min(...wake) : nextExpiry;
    this.flushScheduled = next !== undefined && next !== nextExpiry;
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
  }

  private enqueueIndex(summary: Omit<DeliveryRow, "event">, sessionKey: string, now: number): void {
    const payload = JSON.stringify({ ...summary, sessionKey } satisfies DeliverySummary);
    this.ctx.storage.sql.exec(
      "INSERT INTO outbox (kind, payload, created_at) VALUES ('index', ?, ?)",
      payload,
      now,
    );
  }
}
