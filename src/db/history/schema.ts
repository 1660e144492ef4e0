import { sql } from "drizzle-orm";
import {
  bigint,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
} from "drizzle-orm/pg-core";

/**
 * The run history in Postgres: what the EVENTS queue carries, kept queryable and joinable. Times are epoch
 * milliseconds (bigint), as everywhere else in Hookline. Every table is written by upserts keyed by an id
 * the producer chose (event id, run id, attempt id, delivery key), so a redelivered batch changes nothing.
 */

const ms = (name: string) => bigint(name, { mode: "number" });

/** Postgres full-text vector, for free-text search over a run's input and output. */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/** One row per accepted delivery: the session ledger's summary (the ledger stays authoritative). */
export const deliveries = pgTable(
  "deliveries",
  {
    key: text("key").primaryKey(),
    source: text("source").notNull(),
    channel: text("channel").notNull(),
    kind: text("kind").notNull(),
    outcome: text("outcome").notNull(),
    sessionKey: text("session_key").notNull(),
    receivedAt: ms("received_at").notNull(),
    lastSeenAt: ms("last_seen_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
    seenCount: integer("seen_count").notNull(),
    /** The trigger decision (reaction.match / reaction.skip) for chat messages. */
    decision: jsonb("decision"),
  },
  // Same key order as the list's ORDER BY (received_at DESC, key DESC; DESC means NULLS FIRST in Postgres), so
  // a page is an index range scan that stops after `limit` rows instead of a sort of every matching row.
  (t) => [
    index("deliveries_received").on(t.receivedAt.desc().nullsFirst(), t.key.desc().nullsFirst()),
    index("deliveries_source_received").on(
      t.source,
      t.receivedAt.desc().nullsFirst(),
      t.key.desc().nullsFirst(),
    ),
  ],
);

/** One row per run, folded from its `run.state` events (status only moves forward). */
export const runs = pgTable(
  "runs",
  {
    runId: text("run_id").primaryKey(),
    workflowId: text("workflow_id").notNull(),
    workflowVersion: text("workflow_version"),
    status: text("status").notNull(),
    /** When `status` was set (-1: not yet known); a status only replaces an older one, never a terminal one. */
    statusAt: ms("status_at").notNull(),
    source: text("source"),
    deliveryKey: text("delivery_key"),
    /** The input as JSON text, cut to 1,000 characters. */
    inputSummary: text("input_summary"),
    /** The output (JSON; a long one is a `{ truncated, preview }` object). */
    output: jsonb("output"),
    error: text("error"),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    costUsd: doublePrecision("cost_usd"),
    stepsRun: integer("steps_run"),
    startedAt: ms("started_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
    finishedAt: ms("finished_at"),
    search: tsvector("search").generatedAlwaysAs(
      sql`to_tsvector('simple', coalesce(input_summary, '') || ' ' || coalesce(output::text, '') || ' ' || coalesce(error, ''))`,
    ),
  },
  // Each list index ends in the list's ORDER BY exactly (started_at DESC, run_id DESC: NULLS FIRST, Postgres's
  // default for DESC; drizzle's bare `.desc()` would emit NULLS LAST, which no ORDER BY here can use): a filtered
  // page, and a full-text page for a common word, walk an index in order and stop after `limit` rows.
  (t) => [
    index("runs_started").on(t.startedAt.desc().nullsFirst(), t.runId.desc().nullsFirst()),
    index("runs_status_started").on(t.status, t.startedAt.desc().nullsFirst(), t.runId.desc().nullsFirst()),
    index("runs_workflow_started").on(
      t.workflowId,
      t.startedAt.desc().nullsFirst(),
      t.runId.desc().nullsFirst(),
    ),
    index("runs_source_started").on(t.source, t.startedAt.desc().nullsFirst(), t.runId.desc().nullsFirst()),
    index("runs_search").using("gin", t.search),
  ],
);

/** Every step attempt, pure steps (transform, branch, reply) included. */
export const stepAttempts = pgTable(
  "step_attempts",
  {
    runId: text("run_id").notNull(),
    attemptId: text("attempt_id").notNull(),
    stepId: text("step_id").notNull(),
    attempt: integer("attempt").notNull(),
    kind: text("kind").notNull(),
    status: text("status").notNull(),
    startedAt: ms("started_at"),
    finishedAt: ms("finished_at"),
    latencyMs: integer("latency_ms"),
    provider: text("provider"),
    model: text("model"),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    costUsd: doublePrecision("cost_usd"),
    output: jsonb("output"),
    error: text("error"),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.attemptId] }),
    index("step_attempts_step_status").on(t.stepId, t.status, t.startedAt.desc()),
    index("step_attempts_model").on(t.model, t.startedAt.desc()),
  ],
);

/** The versioned event stream, as sent: `run.state`, `step.start`/`step.finish`, `model.call`, … */
export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    v: integer("v").notNull(),
    type: text("type").notNull(),
    runId: text("run_id"),
    workflowId: text("workflow_id"),
    source: text("source"),
    deliveryKey: text("delivery_key"),
    at: ms("at").notNull(),
    data: jsonb("data").notNull(),
  },
  (t) => [index("events_run_at").on(t.runId, t.at), index("events_type_at").on(t.type, t.at.desc())],
);

export type HistoryRun = typeof runs.$inferSelect;
export type HistoryDelivery = typeof deliveries.$inferSelect;
export type HistoryAttempt = typeof stepAttempts.$inferSelect;
