import { asc, desc, eq, inArray, isNull, min, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import type { z } from "zod";
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
import type { RunState } from "../engine/state.ts";
import type { EventEnvelope, StepMessage, StepReport } from "../queue/messages.ts";

export type RunDb = DrizzleSqliteDODatabase<Record<string, never>>;

/** The body of a signed callback reply. `id` doubles as the Standard Webhooks `webhook-id`. */
export interface ReplyMessage {
  id: string;
  runId: string;
  stepId: string;
  deliveryKey: string | null;
  text: string;
}

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

/**
 * Writes one transition: the new state and every durable effect (attempt rows, STEPS messages, timers,
 * events) in the caller's transaction. Effects that only exist in memory (aborts) are left to the caller,
 * to run after the commit.
 */
export function persistTransition(
  db: RunDb,
  who: RunIdentity,
  state: RunState,
  effects: readonly Effect[],
  now: number,
  enrich?: (event: string, data: Record<string, unknown>) => Record<string, unknown>,
  hasCallback = false,
  chat?: ChatOrigin,
): void {
  db.update(runs)
    .set({
      status: state.status,
      state: JSON.stringify(state),
      updatedAt: now,
      ignoredResults: state.ignoredResults,
    })
    .where(eq(runs.id, who.runId))
    .run();
  for (const effect of effects) {
    switch (effect.type) {
      case "enqueueStep": {
        db.insert(attempts)
          .values({
            attemptId: effect.attemptId,
            stepId: effect.stepId,
            attempt: effect.attempt,
            kind: effect.kind,
            status: "queued",
            enqueuedAt: now,
            model: effect.resolved.kind === "llm" ? effect.resolved.model : null,
          })
          .onConflictDoNothing()
          .run();
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
          const steer = db
            .select()
            .from(steered)
            .where(isNull(steered.usedBy))
            .orderBy(asc(steered.id))
            .all();
          if (steer.length > 0) {
            message.extraMessages = steer.map((m) => ({ role: "user" as const, content: m.text }));
            db.update(steered).set({ usedBy: effect.attemptId }).where(isNull(steered.usedBy)).run();
          }
          if (chat && effect.resolved.stream && who.source)
            message.streamTo = { source: who.source, target: chat.target };
        }
        db.insert(outbox)
          .values({ kind: "step", payload: JSON.stringify(message), createdAt: now })
          .run();
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
        insertEvent(db, who, effect.event, enrich ? enrich(effect.event, effect.data) : effect.data, now);
        if (chat && effect.event === "run.state" && effect.data.wait) {
          const w = effect.data.wait;
          const approval = { waitId: w.wait_id, stepId: w.step_id, prompt: w.prompt ?? "Approve?" };
          db.insert(outbox)
            .values({ kind: "approval", payload: JSON.stringify(approval), createdAt: now })
            .run();
        }
        if (
          chat &&
          effect.event === "step.finish" &&
          effect.data.status === "timed_out" &&
          effect.data.kind === "wait"
        ) {
          const note: ReplyMessage = {
            id: `${who.runId}:${effect.data.step_id}:timeout`,
            runId: who.runId,
            stepId: effect.data.step_id,
            deliveryKey: who.deliveryKey,
            text: "No answer in time.",
          };
          db.insert(outbox)
            .values({ kind: "reply", payload: JSON.stringify(note), createdAt: now })
            .run();
        }
        break;
      case "reply": {
        // Chat runs answer in their chat; generic sources with a callback get a signed POST.
        insertEvent(db, who, "run.reply", { step_id: effect.stepId, text: effect.text }, now);
        const reply: ReplyMessage = {
          id: `${who.runId}:${effect.stepId}:${now}`,
          runId: who.runId,
          stepId: effect.stepId,
          deliveryKey: who.deliveryKey,
          text: effect.text,
        };
        if (hasCallback || chat) {
          db.insert(outbox)
            .values({ kind: "reply", payload: JSON.stringify(reply), createdAt: now })
            .run();
        }
        break;
      }
      case "finish":
        // The session starts its next queued message once this run is over.
        if (chat) db.insert(outbox).values({ kind: "notify", payload: "{}", createdAt: now }).run();
        break;
      case "abortStep":
        break;
    }
  }
}

export function insertEvent(
  db: RunDb,
  who: RunIdentity,
  type: string,
  data: Record<string, unknown>,
  now: number,
) {
  const envelope: EventEnvelope = { v: 1, id: crypto.randomUUID(), type, ...who, at: now, data };
  db.insert(outbox)
    .values({ kind: "event", payload: JSON.stringify(envelope), createdAt: now })
    .run();
}

export function loadRun(db: RunDb): RunRow | undefined {
  return db.select().from(runs).limit(1).get();
}

/** The earliest moment the alarm must wake: a due timer, or a retry of an unsent outbox. */
export function nextWake(db: RunDb, outboxRetryAt: number | undefined): number | undefined {
  const timer =
    db
      .select({ at: min(timers.at) })
      .from(timers)
      .get()?.at ?? undefined;
  if (timer === undefined) return outboxRetryAt;
  return outboxRetryAt === undefined ? timer : Math.min(timer, outboxRetryAt);
}

export function dueTimers(db: RunDb, now: number) {
  return db.select().from(timers).where(sql`${timers.at} <= ${now}`).orderBy(asc(timers.at)).all();
}

export type OutboxKind = "step" | "event" | "reply" | "approval" | "notify";

export function pendingOutbox(
  db: RunDb,
  limit: number,
  kinds: OutboxKind[] = ["step", "event", "reply", "approval", "notify"],
) {
  return db
    .select()
    .from(outbox)
    .where(inArray(outbox.kind, kinds))
    .orderBy(asc(outbox.id))
    .limit(limit)
    .all();
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
  db.update(attempts)
    .set({
      status: opts.status,
      startedAt: row.startedAt ?? r.startedAt,
      finishedAt: r.finishedAt,
      latencyMs,
      error: r.ok ? null : r.error.message,
      ...(full
        ? {
            provider: r.ok ? (r.provider ?? null) : null,
            model: r.ok ? (r.model ?? row.model) : row.model,
            inputTokens: r.ok ? (r.usage?.inputTokens ?? null) : null,
            outputTokens: r.ok ? (r.usage?.outputTokens ?? null) : null,
            tokensPerSec: r.ok && tokens > 0 && latencyMs > 0 ? (tokens * 1000) / latencyMs : null,
            costUsd: r.ok && r.usage && opts.prices ? costOf(row.model, r.usage, opts.prices) : null,
          }
        : {}),
    })
    .where(eq(attempts.attemptId, row.attemptId))
    .run();
}

/** The step in flight, if any: the latest queued or running attempt (what /status shows). */
export function currentStep(db: RunDb): string | null {
  const row = db
    .select({ stepId: attempts.stepId })
    .from(attempts)
    .where(inArray(attempts.status, ["queued", "running"]))
    .orderBy(desc(attempts.enqueuedAt))
    .get();
  return row?.stepId ?? null;
}
