import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * A queryable index of deliveries across all sessions, for the admin API. Eventually consistent: the
 * authoritative record is the SessionObject's ledger. Postgres replaces this in the history issue.
 */
export const deliveryIndex = sqliteTable(
  "delivery_index",
  {
    key: text("key").primaryKey(),
    source: text("source").notNull(),
    channel: text("channel").notNull(),
    kind: text("kind").notNull(),
    outcome: text("outcome").notNull(),
    sessionKey: text("session_key").notNull(),
    receivedAt: integer("received_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    seenCount: integer("seen_count").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    /** The trigger decision (reaction.match / reaction.skip) as JSON, for chat messages. */
    decision: text("decision"),
  },
  (t) => [
    index("delivery_index_source_received").on(t.source, t.receivedAt),
    index("delivery_index_received").on(t.receivedAt),
    index("delivery_index_expires").on(t.expiresAt),
  ],
);

export type DeliveryIndexRow = typeof deliveryIndex.$inferSelect;

/** The run list behind GET /runs, fed by the EVENTS queue (run.state events). Postgres replaces it later. */
export const runIndex = sqliteTable(
  "run_index",
  {
    runId: text("run_id").primaryKey(),
    workflowId: text("workflow_id").notNull(),
    status: text("status").notNull(),
    source: text("source"),
    deliveryKey: text("delivery_key"),
    startedAt: integer("started_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("run_index_started").on(t.startedAt), index("run_index_status").on(t.status, t.startedAt)],
);

export type RunIndexRow = typeof runIndex.$inferSelect;

/**
 * EVENTS messages that exhausted their retries (e.g. Postgres down for longer than the retry budget), kept
 * here until `hookline events replay` sends them back. Keyed by event id, so a re-dead-lettered event is one row.
 */
export const deadEvents = sqliteTable(
  "dead_events",
  {
    id: text("id").primaryKey(),
    /** The event envelope as JSON. */
    body: text("body").notNull(),
    deadAt: integer("dead_at").notNull(),
  },
  (t) => [index("dead_events_dead_at").on(t.deadAt)],
);

/**
 * Prometheus counters and histogram series for GET /metrics, one row per (name, labels). Fed by the events
 * the EVENTS consumer has applied and by delivery summaries; `labels` is the rendered `{k="v",…}` text.
 */
export const metricValues = sqliteTable(
  "metric_values",
  {
    name: text("name").notNull(),
    labels: text("labels").notNull(),
    value: real("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.name, t.labels] })],
);

export type MetricValueRow = typeof metricValues.$inferSelect;

/**
 * What has been counted, by a key derived from what happened (`run-end:<runId>`, `step:<runId>:<attemptId>`),
 * so a redelivered or re-sent event never counts twice. Kept 7 days, far longer than a redelivery window.
 */
export const metricMarks = sqliteTable(
  "metric_marks",
  {
    key: text("key").primaryKey(),
    at: integer("at").notNull(),
  },
  (t) => [index("metric_marks_at").on(t.at)],
);

/** The seen count already counted per delivery key, until the key expires from the ledger too. */
export const metricDeliveries = sqliteTable(
  "metric_deliveries",
  {
    key: text("key").primaryKey(),
    seenCount: integer("seen_count").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("metric_deliveries_expires").on(t.expiresAt)],
);

/** One row that GET /health writes and reads back to prove the object's storage is writable. */
export const healthProbe = sqliteTable("health_probe", {
  id: integer("id").primaryKey(),
  at: integer("at").notNull(),
});
