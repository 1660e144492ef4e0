import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The dedup ledger: one row per delivery key, kept until `expiresAt` (the sender's retry window). */
export const deliveries = sqliteTable(
  "deliveries",
  {
    key: text("key").primaryKey(),
    source: text("source").notNull(),
    channel: text("channel").notNull(),
    kind: text("kind", { enum: ["message", "status", "event"] }).notNull(),
    /** accepted: will start work; recorded: kept for the record only (e.g. WhatsApp statuses). */
    outcome: text("outcome", { enum: ["accepted", "recorded"] }).notNull(),
    receivedAt: integer("received_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    seenCount: integer("seen_count").notNull().default(1),
    lastSeenAt: integer("last_seen_at").notNull(),
    /** The normalized InboundEvent as JSON, so a run can be started from the record alone. */
    event: text("event").notNull(),
    /** The trigger decision for a chat message (reaction.match / reaction.skip) as JSON, if any. */
    decision: text("decision"),
  },
  (t) => [index("deliveries_expires_at").on(t.expiresAt)],
);

/**
 * Written in the same transaction as the ledger row, then delivered after the commit: `index` rows go to
 * the OpsObject index, `start` rows start a run (RunObject.start is idempotent, so a resend is harmless).
 */
export const outbox = sqliteTable("outbox", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  kind: text("kind", { enum: ["index", "intent"] })
    .notNull()
    .default("index"),
  payload: text("payload").notNull(),
  createdAt: integer("created_at").notNull(),
  attempts: integer("attempts").notNull().default(0),
});

export type DeliveryRow = typeof deliveries.$inferSelect;

/** The chat session: at most one active run, plus what waits behind it. One row (id = 1). */
export const sessionState = sqliteTable("session_state", {
  id: integer("id").primaryKey(),
  activeRunId: text("active_run_id"),
  activeSince: integer("active_since"),
  /** An open collect window: when it closes at the latest, and when it closes if nothing else arrives. */
  collectUntil: integer("collect_until"),
  collectHardUntil: integer("collect_hard_until"),
});

/**
 * Accepted messages waiting for the session: `queue` (FIFO behind the active run) or `collect` (the open
 * collect window). Each names its delivery and the rule that matched it.
 */
export const pending = sqliteTable("pending", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  kind: text("kind", { enum: ["queue", "collect"] }).notNull(),
  deliveryKey: text("delivery_key").notNull(),
  intent: text("intent").notNull(),
  at: integer("at").notNull(),
});

/** Approval buttons sent to the chat; a press resumes the run if the presser is allowed. */
export const approvals = sqliteTable("approvals", {
  token: text("token").primaryKey(),
  runId: text("run_id").notNull(),
  waitId: text("wait_id").notNull(),
  stepId: text("step_id").notNull(),
  allowed: text("allowed").notNull(),
  createdAt: integer("created_at").notNull(),
  answeredAt: integer("answered_at"),
});
