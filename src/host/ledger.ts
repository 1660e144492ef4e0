import { z } from "zod";
import { InboundEvent } from "../core/inbound-event.ts";
import type { DeliveryRow } from "../db/durable/session-schema.ts";
import { Intent } from "../session/intent-schema.ts";
import type { DeliverySummary } from "./ops.ts";
import type { SqlPort } from "./ports.ts";

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

/** A recorded intent waiting for the session, with the run ids derived from its delivery key. */
export interface IntentRow {
  deliveryKey: string;
  intent: Intent;
  runId?: string;
  /** The run a collect window opened by this message would start. */
  collectRunId?: string;
}

/** The ledger columns `recordDelivery` reads, as SQLite returns them. */
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

/**
 * The webhook ack's hot path: check-and-insert one delivery, in the caller's transaction. It speaks SQL
 * directly (the tables are drizzle's, in src/db/durable/session-schema.ts) and runs four statements at
 * most: the ledger row, its index summary, and the intent for the session to carry out.
 */
export function recordDelivery(
  sql: SqlPort,
  input: z.infer<typeof RecordInput>,
  ids: { runId?: string; collectRunId?: string },
  now: number,
): RecordResult {
  const { event, retentionMs, intent, decision } = input;
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
    enqueueIndex(
      sql,
      {
        key: event.deliveryKey,
        source: existing.source,
        channel: existing.channel,
        kind: existing.kind,
        outcome: existing.outcome,
        receivedAt: existing.received_at,
        expiresAt: existing.expires_at,
        seenCount,
        lastSeenAt: now,
        decision: existing.decision,
        sessionKey: event.sessionKey,
      },
      now,
    );
    return {
      status: "duplicate",
      deliveryKey: event.deliveryKey,
      seenCount,
      firstSeenAt: existing.received_at,
      // Only deliveries that started a run name one; a duplicate of a status names none.
      runId: existing.outcome === "accepted" ? ids.runId : undefined,
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
  enqueueIndex(sql, { ...row, sessionKey: event.sessionKey }, now);
  if (intent && intent.type !== "skip" && row.outcome === "accepted") {
    const payload: IntentRow = { deliveryKey: row.key, intent, ...ids };
    sql.exec(
      "INSERT INTO outbox (kind, payload, created_at) VALUES ('intent', ?, ?)",
      JSON.stringify(payload),
      now,
    );
  }
  return { status: row.outcome, deliveryKey: row.key, seenCount: 1, firstSeenAt: now, runId: ids.runId };
}

function enqueueIndex(sql: SqlPort, summary: DeliverySummary, now: number): void {
  sql.exec(
    "INSERT INTO outbox (kind, payload, created_at) VALUES ('index', ?, ?)",
    JSON.stringify(summary),
    now,
  );
}
