import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The run itself: one row. `state` is the engine's plain RunState as JSON, committed with every transition. */
export const runs = sqliteTable("run", {
  id: text("id").primaryKey(),
  workflowId: text("workflow_id").notNull(),
  /** Where the run came from, if a delivery started it. */
  source: text("source"),
  deliveryKey: text("delivery_key"),
  /** The conversation to answer in (chat channels), and the session that owns the run. */
  channel: text("channel"),
  chatId: text("chat_id"),
  sessionKey: text("session_key"),
  /** Who started it (the only one allowed to press approval buttons unless a step says otherwise). */
  senderId: text("sender_id"),
  status: text("status").notNull(),
  state: text("state").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  cancelSource: text("cancel_source"),
  cancelRequestedAt: integer("cancel_requested_at"),
  cancelAcknowledgedAt: integer("cancel_acknowledged_at"),
  /** Results that arrived for an attempt that was not outstanding (stale, repeated, after cancel). */
  ignoredResults: integer("ignored_results").notNull().default(0),
  /** Set on a run started by `POST /runs/:id/restart` or `/retry`: which kind, and the run it came from. */
  linkKind: text("link_kind", { enum: ["restart", "retry"] }),
  linkedFrom: text("linked_from"),
});

/** One row per step attempt: the trace. */
export const attempts = sqliteTable("attempts", {
  attemptId: text("attempt_id").primaryKey(),
  stepId: text("step_id").notNull(),
  attempt: integer("attempt").notNull(),
  kind: text("kind").notNull(),
  status: text("status", {
    enum: ["queued", "running", "succeeded", "failed", "cancelled", "dead_lettered"],
  }).notNull(),
  enqueuedAt: integer("enqueued_at").notNull(),
  startedAt: integer("started_at"),
  finishedAt: integer("finished_at"),
  latencyMs: integer("latency_ms"),
  provider: text("provider"),
  model: text("model"),
  inputTokens: integer("input_tokens"),
  outputTokens: integer("output_tokens"),
  tokensPerSec: real("tokens_per_sec"),
  costUsd: real("cost_usd"),
  error: text("error"),
  deliveries: integer("deliveries").notNull().default(0),
  /**
   * inline: the RunObject runs the attempt itself, right after the commit (no queue hop); queue: a step
   * worker does. An inline attempt keeps its STEPS message here, so if the object is evicted mid-call the
   * next instance hands it to the queue instead.
   */
  mode: text("mode", { enum: ["inline", "queue"] })
    .notNull()
    .default("queue"),
  message: text("message"),
});

/** Effects committed with the transition that produced them; sent after commit, deleted once sent. */
export const outbox = sqliteTable("outbox", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  /** step/event: to the queues; reply: to the chat or callback; session: a RunToSession message. */
  kind: text("kind", { enum: ["step", "event", "reply", "session"] }).notNull(),
  payload: text("payload").notNull(),
  createdAt: integer("created_at").notNull(),
  attempts: integer("attempts").notNull().default(0),
});

/** Messages steered into the run (onBusy: steer); the next llm step appends them to its messages. */
export const steered = sqliteTable("steered", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  text: text("text").notNull(),
  receivedAt: integer("received_at").notNull(),
  /** The attempt whose messages included it; null until an llm step picks it up. */
  usedBy: text("used_by"),
});

/** Pending engine timers (delay, retry backoff, wait deadline, step timeout); the alarm fires the earliest. */
export const timers = sqliteTable("timers", {
  timerId: text("timer_id").primaryKey(),
  at: integer("at").notNull(),
  purpose: text("purpose").notNull(),
});

export type RunRow = typeof runs.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;

/**
 * The run's own event log, in order: one row per transition (its events as a JSON array), numbered per
 * event from `firstSeq` to `lastSeq`. `GET /runs/:id/stream` serves and resumes from it (`Last-Event-ID` is
 * a sequence number), so a subscriber sees every event of the run once, in order, whatever EVENTS does.
 */
export const eventLog = sqliteTable("event_log", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  firstSeq: integer("first_seq").notNull(),
  lastSeq: integer("last_seq").notNull(),
  payload: text("payload").notNull(),
});

/** Runs started from this one: `restart` (same workflow and input) or `retry` (from the failed step). */
export const relaunches = sqliteTable("relaunches", {
  runId: text("run_id").primaryKey(),
  kind: text("kind", { enum: ["restart", "retry"] }).notNull(),
  at: integer("at").notNull(),
});
