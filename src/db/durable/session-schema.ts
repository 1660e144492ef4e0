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

/**
 * The chat session's state: the pure machine's `SessionState` as JSON (src/session/state.ts), and the
 * source it belongs to (one session = one chat of one source). One row (id = 1).
 */
export const chat = sqliteTable("chat", {
  id: integer("id").primaryKey(),
  source: text("source"),
  state: text("state").notNull(),
});

/**
 * Actions the machine decided, committed with the state that decided them and carried out in id order
 * after the commit; a row is deleted once done, so a crash in between carries it out again.
 */
export const chatActions = sqliteTable("chat_actions", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  action: text("action").notNull(),
  attempts: integer("attempts").notNull().default(0),
  createdAt: integer("created_at").notNull(),
});
