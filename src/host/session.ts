import { and, asc, eq, lte, min, sql } from "drizzle-orm";
import { z } from "zod";
import fresh from "../../migrations/durable/session/fresh.sql";
import migrations from "../../migrations/durable/session/migrations.js";
import { nextTask } from "../core/next-task.ts";
import { type DeliveryRow, deliveries, outbox } from "../db/durable/session-schema.ts";
import { AlarmKeeper } from "./alarm.ts";
import type { SessionApi } from "./api.ts";
import { check } from "./check.ts";
import { indexDeliveries } from "./history-feed.ts";
import { type IntentRow, RecordInput, type RecordResult, recordDelivery } from "./ledger.ts";
import { migrateObject } from "./migrate.ts";
import type { DeliverySummary } from "./ops.ts";
import type { ObjectState } from "./ports.ts";
import { RunToSession } from "./protocol.ts";
import type { Resources } from "./resources.ts";
import { runIdFor } from "./run-id.ts";
import { ChatHost } from "./session-chat.ts";
import { openDb, prepared } from "./sqlite.ts";
import { afterStopBurst, noteStopHint } from "./stop-burst.ts";

export type { RecordInput, RecordResult };

/** The admin index is eventually consistent; batching a second of ledger changes per flush keeps it cheap. */
const FLUSH_DELAY_MS = 1_000;
const FLUSH_BATCH = 200;
const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * One per conversation (Telegram chat, WhatsApp sender, generic session key), on any host. Holds the dedup
 * ledger, and hosts the chat-session machine (src/session/) through `ChatHost`.
 *
 * Ordering rule: `record` runs its check-and-insert synchronously in one SQLite transaction, with no await
 * in between, so concurrent copies of a delivery are serialized (workerd's input gate; on Node, the same
 * single thread) and exactly one is accepted. The caller acknowledges the sender only after this call
 * returns, and the write is durable by then (workerd's output gate; on Node, a synchronous commit):
 * recorded before acknowledged.
 */
export class Session implements SessionApi {
  private readonly db;
  private readonly chat: ChatHost;
  /** The alarm as last set, so the hot path can tell without asking storage whether a flush is due. */
  private readonly alarms: AlarmKeeper;
  /**
   * After a failed index flush: not before this time is it tried again (its backoff). In memory only: a new
   * instance tries at its first alarm, which storage still holds at the backoff time.
   */
  private indexRetryAt: number | undefined;

  private readonly host: ObjectState;
  private readonly res: Resources;

  constructor(host: ObjectState, res: Resources) {
    this.host = host;
    this.res = res;
    this.db = openDb(host.storage);
    this.chat = new ChatHost(this.db, host.storage, res, (p) => host.waitUntil(p));
    this.alarms = new AlarmKeeper(host.storage);
    host.blockConcurrencyWhile(async () => {
      await migrateObject(this.db, host.storage, migrations, fresh);
      await this.alarms.load();
    });
  }

  /** Records a delivery once. A repeat is counted and reported as a duplicate, never accepted twice. */
  async record(input: RecordInput): Promise<RecordResult> {
    const parsed = check(RecordInput, input, "Session.record");
    const { event, intent } = parsed;
    const now = Date.now();
    const starts = intent?.type === "run" && event.kind !== "status";
    const ids = {
      runId: starts ? await runIdFor(event.deliveryKey) : undefined,
      collectRunId:
        starts && intent.onBusy === "collect" ? await runIdFor(`collect:${event.deliveryKey}`) : undefined,
    };
    // A new /stop aborts the active run's step before anything else (see hintStop), then lets the other
    // requests that are ready (often the /stops of other chats) reach their aborts before this one records.
    const hinted =
      intent?.type === "command" &&
      intent.command === "stop" &&
      !this.seen(event.deliveryKey) &&
      this.hintStop();
    if (hinted) await nextTask();
    const result = this.host.storage.transactionSync(() =>
      recordDelivery(this.host.storage.sql, parsed, ids, now),
    );
    if (result.status === "accepted" && intent && intent.type !== "skip") {
      // In a later task, so the ack does not wait behind the work it triggers (workerd's output gate would
      // hold this call's answer for the writes the work makes before its first await). After a /stop hint the
      // step is already aborting, and the cancel that follows is bookkeeping: it waits a little longer, so
      // the /stops of other chats that arrive in the same burst reach their aborts before this work runs.
      const work = (hinted ? afterStopBurst() : new Promise((resolve) => setTimeout(resolve, 0)))
        .then(() => this.chat.drain())
        .then(() => this.ensureWake());
      this.host.waitUntil(work);
    }
    // Every record queues an index summary: make sure an alarm comes within the flush delay, or when the
    // backoff of a failed flush ends. (An alarm set for a later expiry does not count: it would hold the
    // summary back until then.)
    await this.alarms.bringForward(this.nextFlushAt(now));
    return result;
  }

  /** Whether the ledger already holds this delivery (a redelivered /stop must not hint again). */
  private seen(key: string): boolean {
    return this.host.storage.sql.exec("SELECT 1 FROM deliveries WHERE key = ?", key).toArray().length > 0;
  }

  /**
   * A new /stop arrived: tell the chat's active run at once, so it aborts its in-flight step now instead of
   * after the chat machine has worked through to the /stop and committed the cancel (which still follows, as
   * the authority; the run holds the aborted result until then). Best effort and not awaited: a lost hint
   * only means the abort comes with the cancel, as before.
   */
  private hintStop(): boolean {
    const runId = this.chat.activeRunId();
    if (!runId) return false;
    noteStopHint();
    this.host.waitUntil(
      this.res.runs
        .getByName(runId)
        .fromSession({ type: "stopping" })
        .catch((err) => console.warn(`/stop hint to run ${runId} failed: ${(err as Error).message}`)),
    );
    return true;
  }

  /** The full ledger row (its `event` is the normalized InboundEvent as JSON), or null once it has expired. */
  async getDelivery(key: string): Promise<DeliveryRow | null> {
    const k = check(z.string(), key, "Session.getDelivery key");
    return this.db.select().from(deliveries).where(eq(deliveries.key, k)).get() ?? null;
  }

  /** The Run → Session protocol: a run finished, asks for approval, or its approval expired. */
  async fromRun(message: RunToSession): Promise<void> {
    await this.chat.fromRun(check(RunToSession, message, "Session.fromRun"));
    await this.ensureWake();
  }

  /** Carries out pending chat work, flushes the index outbox, purges expired keys, and sleeps until next. */
  async alarm(): Promise<void> {
    const now = Date.now();
    this.alarms.fired();
    const retryAt = await this.chat.wake(now);
    const pending = prepared(this.db, "session:outbox.pendingIndex", (d) =>
      d
        .select()
        .from(outbox)
        .where(eq(outbox.kind, "index"))
        .orderBy(asc(outbox.id))
        .limit(FLUSH_BATCH)
        .prepare(),
    ).all();
    // An alarm for chat work or an expiry during a failed flush's backoff leaves the index alone.
    if (pending.length > 0 && now >= (this.indexRetryAt ?? 0)) {
      try {
        await indexDeliveries(
          this.res,
          pending.map((p) => JSON.parse(p.payload) as DeliverySummary),
        );
        // Pending rows are the oldest index ids in order, so one range delete removes exactly them (and stays
        // under SQLite's bound-parameter limit, which an IN list of a full batch would not).
        const last = pending.at(-1)?.id ?? 0;
        prepared(this.db, "session:outbox.flushedIndex", (d) =>
          d
            .delete(outbox)
            .where(and(eq(outbox.kind, "index"), lte(outbox.id, sql.placeholder("last"))))
            .prepare(),
        ).run({ last });
        this.indexRetryAt = undefined;
      } catch (err) {
        const attempts = (pending[0]?.attempts ?? 0) + 1;
        this.db
          .update(outbox)
          .set({ attempts: sql`${outbox.attempts} + 1` })
          .where(eq(outbox.kind, "index"))
          .run();
        this.indexRetryAt = now + Math.min(1_000 * 2 ** attempts, MAX_BACKOFF_MS);
        console.warn(`session index flush failed (attempt ${attempts}): ${(err as Error).message}`);
      }
    }
    prepared(this.db, "session:deliveries.expired", (d) =>
      d
        .delete(deliveries)
        .where(lte(deliveries.expiresAt, sql.placeholder("now")))
        .prepare(),
    ).run({ now });
    await this.rearm(retryAt);
  }

  /** When the index outbox may be flushed next: after the batching delay, and not during a backoff. */
  private nextFlushAt(now: number): number {
    return Math.max(now + FLUSH_DELAY_MS, this.indexRetryAt ?? 0);
  }

  /** One alarm serves all: the next index flush, chat retry or collect window, else the next expiry. */
  private async rearm(retryAt?: number): Promise<void> {
    const now = Date.now();
    const moreIndex = prepared(this.db, "session:outbox.anyIndex", (d) =>
      d.select({ id: outbox.id }).from(outbox).where(eq(outbox.kind, "index")).limit(1).prepare(),
    ).get();
    const nextExpiry =
      prepared(this.db, "session:deliveries.nextExpiry", (d) =>
        d
          .select({ at: min(deliveries.expiresAt) })
          .from(deliveries)
          .prepare(),
      ).get()?.at ?? undefined;
    const wake = [
      retryAt,
      // Not sooner than a failed flush's backoff: the batching delay alone would retry every second.
      moreIndex ? this.nextFlushAt(now) : undefined,
      this.chat.nextWake(),
      nextExpiry,
    ].filter((t): t is number => t !== undefined && t !== null);
    await this.alarms.set(wake.length > 0 ? Math.min(...wake) : null);
  }

  /** Brings the alarm forward if chat work (a collect window, a retry) needs it sooner. */
  private async ensureWake(): Promise<void> {
    const at = this.chat.nextWake();
    if (at !== undefined) await this.alarms.bringForward(at);
  }
}
