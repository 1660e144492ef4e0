import { and, asc, desc, eq, inArray, isNull, min, ne, sql } from "drizzle-orm";
import type { z } from "zod";
import type { ReplyMessage } from "../channels/callback.ts";
import {
  type AttemptRow,
  attempts,
  outbox,
  type RunRow,
  runs,
  steered,
  timers,
} from "../db/durable/run-schema.ts";
import type { Effect } from "../engine/effects.ts";
import { costOf, type PriceTable } from "../engine/governor.ts";
import type { EventEnvelope, StepMessage, StepReport } from "../engine/messages.ts";
import type { RunState } from "../engine/state.ts";
import { STEP_TIMEOUT_GRACE_MS } from "../engine/step-start.ts";
import type { RunToSession } from "./protocol.ts";
import { appendLog } from "./run-events.ts";
import { type ObjectDb, prepared, setTo } from "./sqlite.ts";

export type RunDb = ObjectDb;

/** The run's origin and identity, copied onto every event envelope. */
export interface RunIdentity {
  runId: string;
  workflowId: string;
  source: string | null;
  deliveryKey: string | null;
}

/** Where a chat run answers: its session, channel target and the person who started it. */
export interface ChatOrigin {
  sessionKey: string;
  target: string;
  senderId: string | null;
}

/** What a transition's writes need to know about the run, besides its state. */
export interface TransitionContext {
  db: RunDb;
  who: RunIdentity;
  /** Set for chat runs: replies, approvals and the finished notice go to this session. */
  chat: ChatOrigin | undefined;
  /** A generic source with a callback URL: replies are POSTed there, signed. */
  hasCallback: boolean;
  /** Events the host adds to this transition's (e.g. `model.call`), written in the same outbox row. */
  extraEvents?: { type: string; data: Record<string, unknown> }[];
  /** The session learns of the finish from the answer to its start call: no runFinished message. */
  quietFinish?: boolean;
  /** The caller already wrote the run row with this state (the first transition). */
  runRowWritten?: boolean;
  /** Attempts the RunObject runs itself after the commit (no queue hop). */
  inline?: ReadonlySet<string>;
  /** Adds cancel timings to `run.cancel` and the like. */
  enrich?: (event: string, data: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * Writes one transition: the new state and every durable effect (attempt rows, STEPS messages, timers,
 * events, messages for the session) in the caller's transaction. Effects that only exist in memory
 * (aborts) are left to the caller, to run after the commit. Returns the messages of the attempts to run
 * inline, for the caller to start after the commit.
 */
export function persistTransition(
  ctx: TransitionContext,
  state: RunState,
  effects: readonly Effect[],
  now: number,
): StepMessage[] {
  const { db, who, chat, hasCallback, enrich } = ctx;
  const inlined: StepMessage[] = [];
  // One outbox row (and later one EVENTS message) for all of a transition's events: rows are billed.
  const events: EventEnvelope[] = (ctx.extraEvents ?? []).map((e) => envelope(who, e.type, e.data, now));
  if (!ctx.runRowWritten)
    prepared(db, "run:runs.state", (d) =>
      d
        .update(runs)
        .set({
          status: setTo("status"),
          state: setTo("state"),
          updatedAt: setTo("now"),
          ignoredResults: setTo("ignored"),
        })
        .where(eq(runs.id, sql.placeholder("id")))
        .prepare(),
    ).run({
      status: state.status,
      state: JSON.stringify(state),
      now,
      ignored: state.ignoredResults,
      id: who.runId,
    });
  for (const effect of effects) {
    switch (effect.type) {
      case "enqueueStep": {
        const message = stepMessage(db, who, chat, effect, now);
        const inline = ctx.inline?.has(effect.attemptId) ?? false;
        prepared(db, "run:attempts.insert", (d) =>
          d
            .insert(attempts)
            .values({
              attemptId: sql.placeholder("attemptId"),
              stepId: sql.placeholder("stepId"),
              attempt: sql.placeholder("attempt"),
              kind: sql.placeholder("kind"),
              status: "queued",
              enqueuedAt: sql.placeholder("now"),
              model: sql.placeholder("model"),
              mode: sql.placeholder("mode"),
              message: sql.placeholder("message"),
            })
            .onConflictDoNothing()
            .prepare(),
        ).run({
          attemptId: effect.attemptId,
          stepId: effect.stepId,
          attempt: effect.attempt,
          kind: effect.kind,
          now,
          model: effect.resolved.kind === "llm" ? effect.resolved.model : null,
          mode: inline ? "inline" : "queue",
          // Kept for every attempt: an inline one is handed to the queue if its instance dies; a queued one is
          // sent again if it never started (see `resendUnstarted`).
          message: JSON.stringify(message),
        });
        // An inline attempt is run by the RunObject right after this commit; its message stays on the row.
        if (inline) inlined.push(message);
        else insertOutbox(db, "step", JSON.stringify(message), now);
        break;
      }
      case "setTimer":
        db.insert(timers)
          .values({ timerId: effect.timerId, at: effect.at, purpose: effect.purpose })
          .onConflictDoUpdate({ target: timers.timerId, set: { at: effect.at, purpose: effect.purpose } })
          .run();
        break;
      case "cancelTimer":
        db.delete(timers).where(eq(timers.timerId, effect.timerId)).run();
        break;
      case "emit":
        events.push(
          envelope(who, effect.event, enrich ? enrich(effect.event, effect.data) : effect.data, now),
        );
        break;
      case "reply": {
        // Chat runs answer in their chat; generic sources with a callback get a signed POST.
        events.push(envelope(who, "run.reply", { step_id: effect.stepId, text: effect.text }, now));
        const reply: ReplyMessage = {
          id: `${who.runId}:${effect.stepId}:${now}`,
          runId: who.runId,
          stepId: effect.stepId,
          deliveryKey: who.deliveryKey,
          text: effect.text,
        };
        if (hasCallback || chat) insertOutbox(db, "reply", JSON.stringify(reply), now);
        break;
      }
      case "requestApproval":
        // Only a chat can show buttons; other runs are resumed through the API.
        if (chat)
          toSession(db, now, {
            type: "approvalRequested",
            runId: who.runId,
            waitId: effect.waitId,
            stepId: effect.stepId,
            prompt: effect.prompt ?? "",
            allowed: chat.senderId ? [chat.senderId] : [],
            target: chat.target,
          });
        break;
      case "waitExpired":
        if (chat) toSession(db, now, { type: "approvalExpired", runId: who.runId, stepId: effect.stepId });
        break;
      case "finish":
        // The session starts its next queued message once this run is over.
        if (chat && !ctx.quietFinish)
          toSession(db, now, { type: "runFinished", runId: who.runId, status: effect.status });
        break;
      case "abortStep":
        break;
    }
  }
  if (events.length > 0) insertEvents(db, events, now);
  return inlined;
}

/** The STEPS message of one attempt; an llm step takes the messages steered into the run since the last one. */
function stepMessage(
  db: RunDb,
  who: RunIdentity,
  chat: ChatOrigin | undefined,
  effect: Extract<Effect, { type: "enqueueStep" }>,
  now: number,
): StepMessage {
  const message: StepMessage = {
    v: 1,
    runId: who.runId,
    stepId: effect.stepId,
    attempt: effect.attempt,
    attemptId: effect.attemptId,
    resolved: effect.resolved,
    deadlineMs: effect.deadlineMs,
    enqueuedAt: now,
  };
  if (effect.resolved.kind === "llm") {
    // Steered messages go to the next llm step, once; the trace shows which attempt took them.
    const steer = db.select().from(steered).where(isNull(steered.usedBy)).orderBy(asc(steered.id)).all();
    if (steer.length > 0) {
      message.extraMessages = steer.map((m) => ({ role: "user" as const, content: m.text }));
      db.update(steered).set({ usedBy: effect.attemptId }).where(isNull(steered.usedBy)).run();
    }
    if (chat && effect.resolved.stream && who.source)
      message.streamTo = { source: who.source, target: chat.target };
  }
  return message;
}

/** One attempt's status, if it exists. */
export function attemptStatus(db: RunDb, attemptId: string): string | undefined {
  return prepared(db, "run:attempts.status", (d) =>
    d
      .select({ status: attempts.status })
      .from(attempts)
      .where(eq(attempts.attemptId, sql.placeholder("id")))
      .prepare(),
  ).get({ id: attemptId })?.status;
}

/** One attempt's row, if it exists. */
export function attemptRow(db: RunDb, attemptId: string): AttemptRow | undefined {
  return prepared(db, "run:attempts.row", (d) =>
    d
      .select()
      .from(attempts)
      .where(eq(attempts.attemptId, sql.placeholder("id")))
      .prepare(),
  ).get({ id: attemptId });
}

/** Attempts still open: queued or running, inline or queued; `except` is left out of the count. */
export function openAttempts(db: RunDb, except?: string): number {
  const open = inArray(attempts.status, ["queued", "running"]);
  const where = except === undefined ? open : and(open, ne(attempts.attemptId, except));
  return db.select({ n: sql<number>`count(*)` }).from(attempts).where(where).get()?.n ?? 0;
}

/**
 * Hands inline attempts left open by a previous instance (evicted or restarted mid-call) to the queue:
 * nothing in this instance runs them, and a STEPS worker reports back like for any queued attempt.
 */
export function requeueOrphanedInline(db: RunDb, now: number, running: ReadonlySet<string>): number {
  const orphans = db
    .select({ attemptId: attempts.attemptId, message: attempts.message })
    .from(attempts)
    .where(and(eq(attempts.mode, "inline"), inArray(attempts.status, ["queued", "running"])))
    .all()
    .filter((o) => !running.has(o.attemptId));
  for (const o of orphans) {
    if (o.message) db.insert(outbox).values({ kind: "step", payload: o.message, createdAt: now }).run();
    // Queued again: the worker that takes it starts it afresh (the dead instance's start does not count).
    db.update(attempts)
      .set({ mode: "queue", status: "queued" })
      .where(eq(attempts.attemptId, o.attemptId))
      .run();
  }
  return orphans.length;
}

/** How many times a queued attempt that never started is sent again before its timeout fails it. */
export const MAX_UNSTARTED_RESENDS = 3;

/**
 * An attempt's timeout timer came due. If the attempt is queued and never started, its STEPS message is
 * late, not the attempt: in a backlog longer than the timeout, failing it would only queue a retry behind
 * the same backlog (a retry storm that never catches up), and a lost message (a kill of local Miniflare)
 * needs only a copy. So the same message is sent again and the timer moved one timeout on, up to
 * `MAX_UNSTARTED_RESENDS` times; a copy arriving after another started the attempt is refused by
 * `stepStarted`. Returns whether it did so (the engine then does not see the timer fire).
 */
export function resendUnstarted(db: RunDb, attemptId: string, timerId: string, now: number): boolean {
  const row = db
    .select({
      status: attempts.status,
      mode: attempts.mode,
      message: attempts.message,
      enqueuedAt: attempts.enqueuedAt,
    })
    .from(attempts)
    .where(eq(attempts.attemptId, attemptId))
    .get();
  if (!row || row.status !== "queued" || row.mode !== "queue" || !row.message) return false;
  const period = timeoutOf(row.message) + STEP_TIMEOUT_GRACE_MS;
  const resends = Math.round((now - row.enqueuedAt) / period);
  if (resends > MAX_UNSTARTED_RESENDS) return false;
  insertOutbox(db, "step", row.message, now);
  db.update(timers)
    .set({ at: now + period })
    .where(eq(timers.timerId, timerId))
    .run();
  return true;
}

/**
 * An attempt started: its timeout now counts from here, not from when it was queued (it may have waited in
 * a backlog). Only moves the timer later.
 */
export function timeoutFromStart(db: RunDb, timerId: string, message: string | null, now: number): void {
  if (!message) return;
  const at = now + timeoutOf(message) + STEP_TIMEOUT_GRACE_MS;
  db.update(timers)
    .set({ at: sql`max(${timers.at}, ${at})` })
    .where(eq(timers.timerId, timerId))
    .run();
}

const timeoutOf = (message: string) =>
  (JSON.parse(message) as { resolved: { timeoutMs?: number } }).resolved.timeoutMs ?? 0;

function toSession(db: RunDb, now: number, message: RunToSession): void {
  insertOutbox(db, "session", JSON.stringify(message), now);
}

function insertOutbox(db: RunDb, kind: OutboxKind, payload: string, now: number): void {
  prepared(db, "run:outbox.insert", (d) =>
    d
      .insert(outbox)
      .values({
        kind: sql.placeholder("kind"),
        payload: sql.placeholder("payload"),
        createdAt: sql.placeholder("now"),
      })
      .prepare(),
  ).run({ kind, payload, now });
}

function envelope(who: RunIdentity, type: string, data: Record<string, unknown>, now: number): EventEnvelope {
  return { v: 1, id: crypto.randomUUID(), type, ...who, at: now, data };
}

/** Events in one outbox row (its payload is a JSON array of envelopes) and in the run's own log. */
function insertEvents(db: RunDb, events: EventEnvelope[], now: number): void {
  insertOutbox(db, "event", JSON.stringify(events), now);
  appendLog(db, events);
}

/** One event outside a transition (e.g. a delivery that failed for good). */
export function insertEvent(
  db: RunDb,
  who: RunIdentity,
  type: string,
  data: Record<string, unknown>,
  now: number,
) {
  insertEvents(db, [envelope(who, type, data, now)], now);
}

export function loadRun(db: RunDb): RunRow | undefined {
  return db.select().from(runs).limit(1).get();
}

/**
 * While an inline attempt is open, the alarm checks every `INLINE_CHECK_MS` (on a fixed grid from the
 * attempt's start, so re-arming after each commit writes nothing new) whether an instance still runs it. If
 * none does (an eviction or a restart mid-call), it goes to the queue: a stream cut by a crash is resumed
 * within about this long, not after its step timeout (found by `npm run faults`, crash-workerd: one check
 * at 5 s left a stream killed after it waiting for its 45 s timeout, and nothing else woke the run).
 */
export const INLINE_CHECK_MS = 5_000;

/** The earliest moment the alarm must wake: a due timer, a retry of an unsent outbox, an inline check. */
export function nextWake(db: RunDb, outboxRetryAt: number | undefined, now: number): number | undefined {
  const timer =
    prepared(db, "run:timers.first", (d) =>
      d
        .select({ at: min(timers.at) })
        .from(timers)
        .prepare(),
    ).get()?.at ?? undefined;
  const openInline =
    prepared(db, "run:attempts.inlineCheck", (d) =>
      d
        .select({ at: min(attempts.enqueuedAt) })
        .from(attempts)
        .where(and(eq(attempts.mode, "inline"), inArray(attempts.status, ["queued", "running"])))
        .prepare(),
    ).get()?.at ?? undefined;
  const inline =
    openInline === undefined
      ? undefined
      : openInline + (Math.floor(Math.max(0, now - openInline) / INLINE_CHECK_MS) + 1) * INLINE_CHECK_MS;
  const times = [timer, outboxRetryAt, inline];
  const due = times.filter((t): t is number => t !== undefined);
  return due.length > 0 ? Math.min(...due) : undefined;
}

export function dueTimers(db: RunDb, now: number) {
  return db.select().from(timers).where(sql`${timers.at} <= ${now}`).orderBy(asc(timers.at)).all();
}

export type OutboxKind = "step" | "event" | "reply" | "session";

export function pendingOutbox(
  db: RunDb,
  limit: number,
  kinds: OutboxKind[] = ["step", "event", "reply", "session"],
) {
  return prepared(db, `run:outbox.pending:${kinds.join()}`, (d) =>
    d
      .select()
      .from(outbox)
      .where(inArray(outbox.kind, kinds))
      .orderBy(asc(outbox.id))
      .limit(sql.placeholder("limit"))
      .prepare(),
  ).all({ limit });
}

/** Writes one attempt's result into its trace row (timings, provider, tokens, tokens/s, cost, error). */
export function recordAttempt(
  db: RunDb,
  row: AttemptRow,
  r: z.infer<typeof StepReport>,
  opts: { status: AttemptRow["status"]; prices?: PriceTable },
): void {
  const latencyMs = r.finishedAt - r.startedAt;
  const tokens = r.ok ? (r.usage?.outputTokens ?? 0) : 0;
  const full = opts.prices !== undefined;
  const values = {
    id: row.attemptId,
    status: opts.status,
    startedAt: row.startedAt ?? r.startedAt,
    finishedAt: r.finishedAt,
    latencyMs,
    error: r.ok ? null : r.error.message,
  };
  if (!full) {
    prepared(db, "run:attempts.result", (d) =>
      d
        .update(attempts)
        .set(RESULT_SET)
        .where(eq(attempts.attemptId, sql.placeholder("id")))
        .prepare(),
    ).run(values);
    return;
  }
  prepared(db, "run:attempts.resultFull", (d) =>
    d
      .update(attempts)
      .set({
        ...RESULT_SET,
        provider: setTo("provider"),
        model: setTo("model"),
        inputTokens: setTo("inputTokens"),
        outputTokens: setTo("outputTokens"),
        tokensPerSec: setTo("tokensPerSec"),
        costUsd: setTo("costUsd"),
      })
      .where(eq(attempts.attemptId, sql.placeholder("id")))
      .prepare(),
  ).run({
    ...values,
    provider: r.ok ? (r.provider ?? null) : null,
    model: r.ok ? (r.model ?? row.model) : row.model,
    // A failed attempt records the tokens its provider reported before it failed (a cut stream), if any.
    inputTokens: r.usage?.inputTokens ?? null,
    outputTokens: r.usage?.outputTokens ?? null,
    tokensPerSec: r.ok && tokens > 0 && latencyMs > 0 ? (tokens * 1000) / latencyMs : null,
    costUsd: r.usage && opts.prices ? costOf(row.model, r.usage, opts.prices) : null,
  });
}

/** What every attempt result writes (`recordAttempt`), as placeholders. */
const RESULT_SET = {
  status: setTo("status"),
  startedAt: setTo("startedAt"),
  finishedAt: setTo("finishedAt"),
  latencyMs: setTo("latencyMs"),
  error: setTo("error"),
};

/** The step in flight, if any: the latest queued or running attempt (what /status shows). */
export function currentStep(db: RunDb): string | null {
  const row = prepared(db, "run:attempts.current", (d) =>
    d
      .select({ stepId: attempts.stepId })
      .from(attempts)
      .where(inArray(attempts.status, ["queued", "running"]))
      .orderBy(desc(attempts.enqueuedAt))
      .prepare(),
  ).get();
  return row?.stepId ?? null;
}
