import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
