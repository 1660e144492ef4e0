import { and, desc, eq, gte, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { deliveries, runs } from "../db/history/schema.ts";
import type { EventEnvelope } from "../engine/messages.ts";
import type { Page } from "./cursor.ts";
import { type Cursor, olderThan, page } from "./cursor.ts";
import { foldEvents } from "./fold.ts";
import { historyUpsert } from "./write.ts";

export interface RunFilter {
  status?: string;
  workflow?: string;
  source?: string;
  since?: number;
  until?: number;
  /** Free text over the input summary, the output and the error (Postgres full-text, `simple` config). */
  q?: string;
  cursor?: Cursor;
  limit: number;
}

export interface DeliveryFilter {
  source?: string;
  outcome?: string;
  since?: number;
  until?: number;
  cursor?: Cursor;
  limit: number;
}

/** One run in a list, the same shape whether it comes from Postgres or the Durable Object index. */
export interface RunListItem {
  runId: string;
  workflowId: string;
  workflowVersion?: string | null;
  status: string;
  source: string | null;
  deliveryKey: string | null;
  startedAt: number;
  updatedAt: number;
  finishedAt?: number | null;
  inputSummary?: string | null;
  output?: unknown;
  error?: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
  costUsd?: number | null;
}

export interface DeliveryListItem {
  key: string;
  source: string;
  channel: string;
  kind: string;
  outcome: string;
  sessionKey: string;
  receivedAt: number;
  expiresAt: number;
  seenCount: number;
  lastSeenAt: number;
  decision: unknown;
}

export interface WriteCounts {
  events: number;
  runs: number;
  attempts: number;
  deliveries: number;
}

/** Run history in Postgres, over any drizzle pg driver (Neon over WebSocket, node-postgres, PGlite). */
export interface HistoryStore {
  /** Upserts one EVENTS batch in one statement. Safe to repeat. */
  write(events: readonly EventEnvelope[]): Promise<WriteCounts>;
  listRuns(filter: RunFilter): Promise<Page<RunListItem>>;
  listDeliveries(filter: DeliveryFilter): Promise<Page<DeliveryListItem>>;
  getDelivery(key: string): Promise<DeliveryListItem | null>;
  /** Deletes runs (with their attempts and events) and deliveries older than `before`, at most `max` runs. */
  purge(before: number, max?: number): Promise<{ runs: number; deliveries: number }>;
  /** A cheap query against the history tables: Postgres answers and is migrated (GET /health). */
  ping(): Promise<void>;
  /** Releases the connection (a Workers pool lives for one request). */
  close(): Promise<void>;
}

/** Any drizzle pg driver's database (its schema type varies by driver; none is used here). */
type AnyPg = PgDatabase<PgQueryResultHKT, Record<string, never>>;

const rowsOf = (result: unknown): Record<string, unknown>[] =>
  Array.isArray(result) ? result : ((result as { rows?: Record<string, unknown>[] }).rows ?? []);

/** The store over a drizzle database; `close` ends the driver's pool or client. */
export function historyStore(db: AnyPg, close: () => Promise<void> = async () => {}): HistoryStore {
  return {
    async write(envelopes) {
      const folded = foldEvents(envelopes);
      const result = await db.execute(historyUpsert(folded));
      const row = rowsOf(result)[0] ?? {};
      return {
        events: Number(row.events ?? 0),
        runs: Number(row.runs ?? 0),
        attempts: Number(row.attempts ?? 0),
        deliveries: Number(row.deliveries ?? 0),
      };
    },

    async listRuns(f) {
      const where = and(
        f.status ? eq(runs.status, f.status) : undefined,
        f.workflow ? eq(runs.workflowId, f.workflow) : undefined,
        f.source ? eq(runs.source, f.source) : undefined,
        f.since !== undefined ? gte(runs.startedAt, f.since) : undefined,
        f.until !== undefined ? lte(runs.startedAt, f.until) : undefined,
        f.q ? sql`${runs.search} @@ plainto_tsquery('simple', ${f.q})` : undefined,
        f.cursor ? olderThan(runs.startedAt, runs.runId, f.cursor) : undefined,
      );
      const rows = await db
        .select({
          runId: runs.runId,
          workflowId: runs.workflowId,
          workflowVersion: runs.workflowVersion,
          status: runs.status,
          source: runs.source,
          deliveryKey: runs.deliveryKey,
          startedAt: runs.startedAt,
          updatedAt: runs.updatedAt,
          finishedAt: runs.finishedAt,
          inputSummary: runs.inputSummary,
          output: runs.output,
          error: runs.error,
          inputTokens: runs.inputTokens,
          outputTokens: runs.outputTokens,
          costUsd: runs.costUsd,
        })
        .from(runs)
        .where(where)
        .orderBy(desc(runs.startedAt), desc(runs.runId))
        .limit(f.limit + 1);
      return page(rows, f.limit, (r) => ({ at: r.startedAt, id: r.runId }));
    },

    async listDeliveries(f) {
      const where = and(
        f.source ? eq(deliveries.source, f.source) : undefined,
        f.outcome ? eq(deliveries.outcome, f.outcome) : undefined,
        f.since !== undefined ? gte(deliveries.receivedAt, f.since) : undefined,
        f.until !== undefined ? lte(deliveries.receivedAt, f.until) : undefined,
        f.cursor ? olderThan(deliveries.receivedAt, deliveries.key, f.cursor) : undefined,
      );
      const rows = await db
        .select()
        .from(deliveries)
        .where(where)
        .orderBy(desc(deliveries.receivedAt), desc(deliveries.key))
        .limit(f.limit + 1);
      return page(rows, f.limit, (r) => ({ at: r.receivedAt, id: r.key }));
    },

    async getDelivery(key) {
      const [row] = await db.select().from(deliveries).where(eq(deliveries.key, key)).limit(1);
      return row ?? null;
    },

    async purge(before, max = 1000) {
      const old = sql`(select run_id from ${runs} where ${runs.startedAt} < ${before} limit ${max})`;
      const result = await db.execute(sql`
with gone as (delete from runs where run_id in ${old} returning run_id),
st as (delete from step_attempts where run_id in (select run_id from gone)),
ev as (delete from events where run_id in (select run_id from gone)),
de as (delete from deliveries where key in
  (select key from deliveries where received_at < ${before} limit ${max}) returning 1)
select (select count(*) from gone)::int as runs, (select count(*) from de)::int as deliveries`);
      const row = rowsOf(result)[0] ?? {};
      return { runs: Number(row.runs ?? 0), deliveries: Number(row.deliveries ?? 0) };
    },

    async ping() {
      await db.execute(sql`select 1 from ${runs} limit 1`);
    },

    close,
  };
}
