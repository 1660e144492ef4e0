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
  },
  (t) => [
    index("delivery_index_source_received").on(t.source, t.receivedAt),
    index("delivery_index_received").on(t.receivedAt),
    index("delivery_index_expires").on(t.expiresAt),
  ],
);

export type DeliveryIndexRow = typeof deliveryIndex.$inferSelect;
