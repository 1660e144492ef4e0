import { and, desc, eq, gte, inArray, lt, lte, or, sql } from "drizzle-orm";
import { z } from "zod";
import fresh from "../../migrations/durable/ops/fresh.sql";
import migrations from "../../migrations/durable/ops/migrations.js";
import {
  type DeliveryIndexRow,
  deadEvents,
  deliveryIndex,
  healthProbe,
  type MetricValueRow,
  metricDeliveries,
  metricMarks,
  metricValues,
  type RunIndexRow,
  runIndex,
} from "../db/durable/ops-schema.ts";
import { EventEnvelope } from "../engine/messages.ts";
import { olderThan } from "../history/cursor.ts";
import { DELIVERY_EVENT } from "../history/fold.ts";
import { ChangeWaiters } from "./change-waiters.ts";
import { check } from "./check.ts";
import { type MetricUpdate, metricsOfDelivery, metricsOfEvent } from "./metrics.ts";
import { migrateObject } from "./migrate.ts";
import type { ObjectState } from "./ports.ts";
import { openDb } from "./sqlite.ts";

/** What the index learns about a ledger row: everything but the payload, plus its session. */
export const DeliverySummary = z.object({
  key: z.string(),
  source: z.string(),
  channel: z.string(),
  kind: z.string(),
  outcome: z.string(),
  sessionKey: z.string(),
  receivedAt: z.number(),
  expiresAt: z.number(),
  seenCount: z.number().int(),
  lastSeenAt: z.number(),
  decision: z.string().nullable().optional(),
});
export type DeliverySummary = z.infer<typeof DeliverySummary>;

/** How long a counted fact's mark is kept: far longer than any queue redelivery of an applied batch. */
const MARK_KEEP_MS = 7 * 86_400_000;

const CursorArg = z.object({ at: z.number(), id: z.string() });

export const ListQuery = z.object({
  source: z.string().optional(),
  outcome: z.string().optional(),
  since: z.number().optional(),
  until: z.number().optional(),
  cursor: CursorArg.optional(),
  limit: z.number().int().min(1).max(501).default(100),
});
export type ListQuery = z.input<typeof ListQuery>;

export const RunQuery = z.object({
  status: z.string().optional(),
  workflow: z.string().optional(),
  source: z.string().optional(),
  since: z.number().optional(),
  until: z.number().optional(),
  cursor: CursorArg.optional(),
  limit: z.number().int().min(1).max(501).default(100),
});

/** How many recent events the live feed keeps in memory for the dashboard (`GET /admin/stream`). */
const FEED_SIZE = 1_000;
/** A feed subscriber waits at most this long for the next event. */
const FEED_WAIT_MS = 25_000;

/** What `GET /admin/stream` polls: the feed's events after a sequence number. */
export interface FeedPage {
  /** Names this instance's feed: a new epoch (the object restarted) means sequence numbers began again. */
  epoch: string;
  events: { seq: number; event: EventEnvelope }[];
  lastSeq: number;
  /** Subscribers waiting on this object right now (the fan-out the bench measures). */
  subscribers: number;
}

/**
 * One summary into the delivery index (the table is drizzle's, in src/db/durable/ops-schema.ts). Plain SQL:
 * every session flush lands here, and building the same drizzle upsert per row cost more than the write.
 */
const UPSERT_DELIVERY =
  "INSERT INTO delivery_index (key, source, channel, kind, outcome, session_key, received_at, expires_at, seen_count, last_seen_at, decision) " +
  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET " +
  "seen_count = max(delivery_index.seen_count, excluded.seen_count), " +
  "last_seen_at = max(delivery_index.last_seen_at, excluded.last_seen_at)";

const COUNTED_DELIVERY = "SELECT seen_count AS n FROM metric_deliveries WHERE key = ?";
const UPSERT_COUNTED_DELIVERY =
  "INSERT INTO metric_deliveries (key, seen_count, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET " +
  "seen_count = excluded.seen_count, expires_at = max(metric_deliveries.expires_at, excluded.expires_at)";
const UPSERT_METRIC =
  "INSERT INTO metric_values (name, labels, value) VALUES (?, ?, ?) ON CONFLICT (name, labels) DO UPDATE SET " +
  "value = metric_values.value + excluded.value";

/**
 * Operator-facing state across sessions, on any host: the delivery and run index today; live counters and
 * the dashboard later.
 */
export class Ops {
  private readonly db;
  private readonly host: ObjectState;
  /** The live feed: recent run events in arrival order, in memory only (the lists are the durable view). */
  private readonly feed: { seq: number; event: EventEnvelope }[] = [];
  private readonly feedIds = new Set<string>();
  private feedSeq = 0;
  private readonly epoch = crypto.randomUUID().slice(0, 8);
  private readonly subscribers = new ChangeWaiters();

  constructor(host: ObjectState) {
    this.host = host;
    this.db = openDb(host.storage);
    host.blockConcurrencyWhile(() => migrateObject(this.db, host.storage, migrations, fresh));
  }

  /** Upserts summaries from session outboxes. Idempotent: replays and reordering keep the highest seen count. */
  async indexDeliveries(rows: DeliverySummary[]): Promise<number> {
    const parsed = check(z.array(DeliverySummary), rows, "Ops.indexDeliveries");
    const { storage } = this.host;
    storage.transactionSync(() => {
      this.countDeliveries(parsed);
      for (const r of parsed) {
        storage.sql.exec(
          UPSERT_DELIVERY,
          r.key,
          r.source,
          r.channel,
          r.kind,
          r.outcome,
          r.sessionKey,
          r.receivedAt,
          r.expiresAt,
          r.seenCount,
          r.lastSeenAt,
          r.decision ?? null,
        );
      }
    });
    if ((await this.host.storage.getAlarm()) === null) {
      await this.host.storage.setAlarm(Date.now() + 60 * 60_000);
    }
    return parsed.length;
  }

  async listDeliveries(query: ListQuery): Promise<DeliveryIndexRow[]> {
    const q = check(ListQuery, query, "Ops.listDeliveries");
    const where = and(
      q.source ? eq(deliveryIndex.source, q.source) : undefined,
      q.outcome ? eq(deliveryIndex.outcome, q.outcome) : undefined,
      q.since !== undefined ? gte(deliveryIndex.receivedAt, q.since) : undefined,
      q.until !== undefined ? lte(deliveryIndex.receivedAt, q.until) : undefined,
      q.cursor ? olderThan(deliveryIndex.receivedAt, deliveryIndex.key, q.cursor) : undefined,
    );
    return this.db
      .select()
      .from(deliveryIndex)
      .where(where)
      .orderBy(desc(deliveryIndex.receivedAt), desc(deliveryIndex.key))
      .limit(q.limit)
      .all();
  }

  async getDelivery(key: string): Promise<DeliveryIndexRow | null> {
    return (
      this.db
        .select()
        .from(deliveryIndex)
        .where(eq(deliveryIndex.key, check(z.string(), key, "Ops.getDelivery key")))
        .get() ?? null
    );
  }

  /**
   * Applies `run.state` events to the run index. Order-insensitive: a row only moves forward in time, so a
   * redelivered or late event never rolls a run back.
   */
  async applyRunEvents(events: EventEnvelope[]): Promise<void> {
    const parsed = check(z.array(EventEnvelope), events, "Ops events");
    this.host.storage.transactionSync(() => {
      this.countEventsSync(parsed);
      for (const e of parsed) {
        if (e.type !== "run.state" || !e.runId || !e.workflowId) continue;
        const state = String(e.data.state);
        const status = state === "started" ? "running" : state;
        this.db
          .insert(runIndex)
          .values({
            runId: e.runId,
            workflowId: e.workflowId,
            status,
            source: e.source,
            deliveryKey: e.deliveryKey,
            startedAt: e.at,
            updatedAt: e.at,
          })
          .onConflictDoUpdate({
            target: runIndex.runId,
            set: {
              status: sql`case when excluded.updated_at >= ${runIndex.updatedAt} and ${runIndex.status} not in ('completed','failed','cancelled','governor_breached') then excluded.status else ${runIndex.status} end`,
              updatedAt: sql`max(${runIndex.updatedAt}, excluded.updated_at)`,
              startedAt: sql`min(${runIndex.startedAt}, excluded.started_at)`,
            },
          })
          .run();
      }
    });
    await this.armAlarm();
    this.publishParsed(parsed);
  }

  /**
   * Adds events to the live feed and wakes its subscribers; a redelivered event (same id) is added once.
   * The EVENTS consumer calls it for every batch (through `applyRunEvents` without Postgres history).
   */
  async publish(events: EventEnvelope[]): Promise<number> {
    return this.publishParsed(check(z.array(EventEnvelope), events, "Ops events"));
  }

  private publishParsed(events: EventEnvelope[]): number {
    let added = 0;
    for (const event of events) {
      if (this.feedIds.has(event.id)) continue;
      this.feedIds.add(event.id);
      this.feed.push({ seq: ++this.feedSeq, event });
      added++;
    }
    while (this.feed.length > FEED_SIZE) {
      const gone = this.feed.shift();
      if (gone) this.feedIds.delete(gone.event.id);
    }
    if (added > 0) this.subscribers.notify();
    return added;
  }

  /**
   * The feed after `after` (of epoch `epoch`; another epoch starts from the oldest kept). With nothing new,
   * waits up to `waitMs` for the next publish: one outstanding call per subscriber, woken together.
   */
  async feedSince(after: number, epoch?: string, waitMs = 0, subscriber?: string): Promise<FeedPage> {
    const from = epoch === this.epoch ? Math.max(0, Math.floor(Number(after) || 0)) : 0;
    const read = () => this.feed.filter((e) => e.seq > from);
    let events = read();
    if (events.length === 0 && waitMs > 0) {
      await this.subscribers.wait(Math.min(waitMs, FEED_WAIT_MS), subscriber);
      events = read();
    }
    return { epoch: this.epoch, events, lastSeq: this.feedSeq, subscribers: this.subscribers.size };
  }

  /** A feed subscriber went away: end its `feedSince` wait now. */
  async releaseSubscriber(subscriber: string): Promise<void> {
    this.subscribers.release(String(subscriber));
  }

  async listRuns(query: z.input<typeof RunQuery>): Promise<RunIndexRow[]> {
    const q = check(RunQuery, query, "Ops.listRuns");
    const where = and(
      q.status ? eq(runIndex.status, q.status) : undefined,
      q.workflow ? eq(runIndex.workflowId, q.workflow) : undefined,
      q.source ? eq(runIndex.source, q.source) : undefined,
      q.since !== undefined ? gte(runIndex.startedAt, q.since) : undefined,
      q.until !== undefined ? lte(runIndex.startedAt, q.until) : undefined,
      q.cursor ? olderThan(runIndex.startedAt, runIndex.runId, q.cursor) : undefined,
    );
    return this.db
      .select()
      .from(runIndex)
      .where(where)
      .orderBy(desc(runIndex.startedAt), desc(runIndex.runId))
      .limit(q.limit)
      .all();
  }

  /** Keeps EVENTS that exhausted their retries until a replay; a repeated event id stays one row. */
  async parkDeadEvents(events: EventEnvelope[]): Promise<number> {
    const parsed = check(z.array(EventEnvelope), events, "Ops events");
    const now = Date.now();
    this.host.storage.transactionSync(() => {
      for (const e of parsed) {
        this.db
          .insert(deadEvents)
          .values({ id: e.id, body: JSON.stringify(e), deadAt: now })
          .onConflictDoNothing()
          .run();
      }
    });
    return parsed.length;
  }

  /** The oldest parked events (up to `limit`) and how many are parked in all. */
  async deadEvents(limit: number): Promise<{ total: number; events: EventEnvelope[] }> {
    const n = check(z.number().int().min(1).max(1000), limit, "Ops limit");
    const rows = this.db.select().from(deadEvents).orderBy(deadEvents.deadAt, deadEvents.id).limit(n).all();
    const total = this.db.select({ n: sql<number>`count(*)` }).from(deadEvents).get()?.n ?? 0;
    return { total, events: rows.map((r) => JSON.parse(r.body) as EventEnvelope) };
  }

  /** Forgets parked events once a replay has put them back on the queue. */
  async dropDeadEvents(ids: string[]): Promise<number> {
    const list = check(z.array(z.string()).max(1000), ids, "Ops ids");
    if (list.length === 0) return 0;
    this.db.delete(deadEvents).where(inArray(deadEvents.id, list)).run();
    return list.length;
  }

  /**
   * Adds applied events to the /metrics counters (with Postgres history, the EVENTS consumer calls this after
   * its write; without, `applyRunEvents` does it). Idempotent: each fact counts once (see `metricsOfEvent`),
   * and `delivery.seen` events count like `indexDeliveries`. Also feeds the dashboard's live feed, as
   * `applyRunEvents` does, so a batch costs the consumer one call here either way.
   */
  async countEvents(events: EventEnvelope[]): Promise<void> {
    const parsed = check(z.array(EventEnvelope), events, "Ops events");
    this.host.storage.transactionSync(() => this.countEventsSync(parsed));
    await this.armAlarm();
    this.publishParsed(parsed);
  }

  /** Every stored series plus the gauges read now, for GET /metrics. */
  async metrics(): Promise<{ values: MetricValueRow[]; deadEvents: number }> {
    const values = this.db.select().from(metricValues).all();
    const dead = this.db.select({ n: sql<number>`count(*)` }).from(deadEvents).get()?.n ?? 0;
    return { values, deadEvents: dead };
  }

  /** GET /health's storage probe: writes a row and reads it back. */
  async probe(): Promise<{ ok: boolean; at: number }> {
    const at = Date.now();
    this.db
      .insert(healthProbe)
      .values({ id: 1, at })
      .onConflictDoUpdate({ target: healthProbe.id, set: { at } })
      .run();
    const row = this.db.select().from(healthProbe).where(eq(healthProbe.id, 1)).get();
    return { ok: row?.at === at, at };
  }

  /** Hourly purge of index rows whose ledger entry has expired too, and of metric marks past their use. */
  async alarm(): Promise<void> {
    const now = Date.now();
    this.db.delete(deliveryIndex).where(lte(deliveryIndex.expiresAt, now)).run();
    this.db.delete(metricDeliveries).where(lte(metricDeliveries.expiresAt, now)).run();
    this.db
      .delete(metricMarks)
      .where(lte(metricMarks.at, now - MARK_KEEP_MS))
      .run();
    const left =
      this.db.select({ key: deliveryIndex.key }).from(deliveryIndex).limit(1).get() ??
      this.db.select({ key: metricMarks.key }).from(metricMarks).limit(1).get() ??
      this.db.select({ key: metricDeliveries.key }).from(metricDeliveries).limit(1).get();
    if (left) await this.host.storage.setAlarm(now + 60 * 60_000);
  }

  private async armAlarm(): Promise<void> {
    if ((await this.host.storage.getAlarm()) === null) {
      await this.host.storage.setAlarm(Date.now() + 60 * 60_000);
    }
  }

  /** Inside a transaction: counts each event's fact unless its mark is already there. */
  private countEventsSync(events: readonly EventEnvelope[]): void {
    const now = Date.now();
    const deliveries: DeliverySummary[] = [];
    // Summed over the whole batch, then one upsert per metric and label set: an upsert per event wrote about
    // 58 metric rows per chat turn (`npm run bench:cost`), the largest part of a turn's rows written.
    const updates: MetricUpdate[] = [];
    for (const e of events) {
      if (e.type === DELIVERY_EVENT) {
        const row = DeliverySummary.safeParse(e.data);
        if (row.success) deliveries.push(row.data);
        continue;
      }
      const fact = metricsOfEvent(e);
      if (!fact) continue;
      const fresh = this.db
        .insert(metricMarks)
        .values({ key: fact.mark, at: now })
        .onConflictDoNothing()
        .returning({ key: metricMarks.key })
        .all();
      if (fresh.length > 0) updates.push(...fact.updates);
    }
    this.addMetrics(updates);
    this.countDeliveries(deliveries);
  }

  /**
   * Inside a transaction: counts what each summary's seen count adds to what was counted for its key. Runs
   * for every delivery on the ack path's index flush, so it is plain SQL (no per-call query building) and
   * the batch's metric increments are summed first, one upsert per metric and label set.
   */
  private countDeliveries(rows: readonly DeliverySummary[]): void {
    const { sql: store } = this.host.storage;
    const updates: MetricUpdate[] = [];
    for (const row of rows) {
      const counted = store.exec<{ n: number }>(COUNTED_DELIVERY, row.key).toArray()[0]?.n ?? 0;
      if (row.seenCount <= counted) continue;
      updates.push(...metricsOfDelivery(row, counted));
      store.exec(UPSERT_COUNTED_DELIVERY, row.key, row.seenCount, row.expiresAt);
    }
    this.addMetrics(updates);
  }

  private addMetrics(updates: readonly MetricUpdate[]): void {
    const summed = new Map<string, MetricUpdate>();
    for (const u of updates) {
      const key = `${u.name}\u0000${u.labels}`;
      const seen = summed.get(key);
      summed.set(key, seen ? { ...seen, inc: seen.inc + u.inc } : u);
    }
    for (const u of summed.values()) this.host.storage.sql.exec(UPSERT_METRIC, u.name, u.labels, u.inc);
  }
}
