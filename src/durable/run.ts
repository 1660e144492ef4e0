import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { z } from "zod";
import migrations from "../../migrations/durable/run/migrations.js";
import { configFor } from "../config/runtime.ts";
import { attempts, outbox, type RunRow, runs, steered, timers } from "../db/durable/run-schema.ts";
import { advance } from "../engine/advance.ts";
import type { Effect } from "../engine/effects.ts";
import type { EngineEvent } from "../engine/events.ts";
import { costOf, PriceTableSchema } from "../engine/governor.ts";
import { FINISHED, type RunState } from "../engine/state.ts";
import type { Env } from "../env.ts";
import { StepReport } from "../queue/messages.ts";
import {
  CancelArgs,
  CancelWatchers,
  chatOriginOf,
  identityOf,
  modelCallData,
  newRunRow,
  StartArgs,
  type WatchResult,
} from "./run-args.ts";
import { OutboxPump, sendDeliveries, sendQueuedOutbox } from "./run-outbox.ts";
import {
  type ChatOrigin,
  currentStep,
  dueTimers,
  insertEvent,
  loadRun,
  nextWake,
  pendingOutbox,
  persistTransition,
  type RunDb,
  type RunIdentity,
  recordAttempt,
} from "./run-store.ts";
import { buildTrace, type RunTrace } from "./run-trace.ts";

export { StartArgs };

const MAX_OUTBOX_BACKOFF_MS = 60_000;

/**
 * One per run. Holds the run's state machine and asks the pure engine what to do next: every transition
 * (state + attempt rows + STEPS messages + timers + events) commits in one SQLite transaction, and the
 * effects are sent after the commit from the outbox, so a crash between the two loses nothing.
 *
 * Cancel is push-first: a step worker holds an outstanding `watchCancel(attemptId)` RPC while it runs the
 * attempt; `cancel()` commits the cancel and then resolves those calls, and the worker aborts the attempt's
 * AbortSignal at once. A result for an attempt that is no longer outstanding is ignored and counted.
 */
export class RunObject extends DurableObject<Env> {
  private readonly db: RunDb;
  private state: RunState | undefined;
  private who: RunIdentity | undefined;
  private chat: ChatOrigin | undefined;
  private readonly watchers = new CancelWatchers();
  private readonly pump: OutboxPump;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage);
    this.pump = new OutboxPump({
      sendQueued: () => sendQueuedOutbox(this.db, this.env),
      sendDeliveries: () =>
        this.who
          ? sendDeliveries({
              db: this.db,
              env: this.env,
              storage: ctx.storage,
              who: this.who,
              chat: this.chat,
            })
          : Promise.resolve(),
      onQueuedError: (err) => {
        const first = pendingOutbox(this.db, 1)[0];
        const tries = (first?.attempts ?? 0) + 1;
        this.db.update(outbox).set({ attempts: tries }).run();
        console.warn(`run outbox send failed (try ${tries}): ${(err as Error).message}`);
      },
      afterDeliveries: () => this.armAlarm(),
      waitUntil: (p) => ctx.waitUntil(p),
    });
    ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
      const row = loadRun(this.db);
      if (row) {
        this.state = JSON.parse(row.state) as RunState;
        this.who = identityOf(row);
        this.chat = chatOriginOf(row);
      }
    });
  }

  /** Starts the run once; a repeated start (redelivered trigger) returns the existing run. */
  async start(args: StartArgs): Promise<{ runId: string; status: string; created: boolean }> {
    const a = StartArgs.parse(args);
    if (this.state) return { runId: a.runId, status: this.state.status, created: false };
    const now = Date.now();
    const start = {
      type: "start",
      runId: a.runId,
      workflow: a.workflow,
      input: a.input,
      event: a.event,
      prices: a.prices,
      now,
    };
    const { state, effects } = advance(null, start as EngineEvent);
    const row = newRunRow(a, state.status, now);
    const who = identityOf(row);
    const chat = chatOriginOf(row);
    this.chat = chat;
    this.ctx.storage.transactionSync(() => {
      this.db.insert(runs).values(row).run();
      persistTransition(this.db, who, state, effects, now, undefined, this.hasCallback(who), chat);
    });
    this.state = state;
    this.who = who;
    await this.afterCommit(effects);
    return { runId: a.runId, status: state.status, created: true };
  }

  /** A step worker is about to run an attempt. False means: don't (run over, or attempt not outstanding). */
  async stepStarted(attemptId: string): Promise<{ proceed: boolean }> {
    const row = this.db.select().from(attempts).where(eq(attempts.attemptId, attemptId)).get();
    if (!row || !this.state || FINISHED.includes(this.state.status)) return { proceed: false };
    if (row.status !== "queued" && row.status !== "running") return { proceed: false };
    this.db
      .update(attempts)
      .set({ status: "running", startedAt: row.startedAt ?? Date.now(), deliveries: row.deliveries + 1 })
      .where(eq(attempts.attemptId, attemptId))
      .run();
    return { proceed: true };
  }

  /**
   * Resolves when the attempt must stop ("cancelled"/"abandoned") or has been applied ("done"). The step
   * worker keeps this call outstanding while it works: that is the push path for cancel.
   */
  async watchCancel(attemptId: string): Promise<WatchResult> {
    const row = this.db
      .select({ status: attempts.status })
      .from(attempts)
      .where(eq(attempts.attemptId, attemptId))
      .get();
    if (!row || !this.state) return "abandoned";
    if (this.state.status === "cancelled") return "cancelled";
    if (row.status !== "queued" && row.status !== "running") return "done";
    return this.watchers.wait(attemptId);
  }

  /** Whether an attempt is still wanted; the polling fallback when a watch is lost. */
  async isOutstanding(attemptId: string): Promise<boolean> {
    const row = this.db
      .select({ status: attempts.status })
      .from(attempts)
      .where(eq(attempts.attemptId, attemptId))
      .get();
    return (
      !!row &&
      (row.status === "queued" || row.status === "running") &&
      !FINISHED.includes(this.state?.status ?? "failed")
    );
  }

  /** Applies one attempt's result exactly once. Stale, repeated and late results are ignored and counted. */
  async stepFinished(
    stepId: string,
    attemptId: string,
    report: z.input<typeof StepReport>,
  ): Promise<{ applied: boolean }> {
    const r = StepReport.parse(report);
    const row = this.db.select().from(attempts).where(eq(attempts.attemptId, attemptId)).get();
    const outstanding =
      !!row && (row.status === "queued" || row.status === "running") && row.stepId === stepId;
    if (row && outstanding && this.state && FINISHED.includes(this.state.status)) {
      // A late result after the run ended (typically the aborted attempt of a cancelled run): not applied,
      // but its real timings go into the trace, which is how abort latency is observed.
      recordAttempt(this.db, row, r, { status: "cancelled" });
    }
    if (!this.state || !row || !outstanding || FINISHED.includes(this.state.status)) {
      this.db
        .update(runs)
        .set({ ignoredResults: (this.state?.ignoredResults ?? 0) + 1 })
        .run();
      if (this.state) this.state.ignoredResults += 1;
      this.watchers.resolve(attemptId, "done");
      return { applied: false };
    }
    const now = Date.now();
    const event: EngineEvent = r.ok
      ? {
          type: "stepSucceeded",
          stepId,
          attempt: row.attempt,
          attemptId,
          output: r.output,
          usage: r.usage,
          now,
        }
      : { type: "stepFailed", stepId, attempt: row.attempt, attemptId, error: r.error, now };
    const effects = this.transition(event, now, () => {
      const prices = this.state?.prices ?? {};
      recordAttempt(this.db, row, r, {
        status: r.ok ? "succeeded" : r.aborted ? "cancelled" : "failed",
        prices,
      });
      if (r.ok && this.who && row.kind === "llm") {
        insertEvent(
          this.db,
          this.who,
          "model.call",
          modelCallData(row.kind, r, r.finishedAt - r.startedAt),
          now,
        );
      }
    });
    this.watchers.resolve(attemptId, "done");
    await this.afterCommit(effects);
    return { applied: true };
  }

  /** A STEPS message exhausted its deliveries: fail the attempt for good, so the run never wedges. */
  async stepDeadLettered(stepId: string, attemptId: string, reason: string): Promise<{ applied: boolean }> {
    const now = Date.now();
    const result = await this.stepFinished(stepId, attemptId, {
      ok: false,
      error: { message: `dead-lettered: ${reason}`, retriable: false },
      startedAt: now,
      finishedAt: now,
    });
    if (result.applied)
      this.db
        .update(attempts)
        .set({ status: "dead_lettered" })
        .where(eq(attempts.attemptId, attemptId))
        .run();
    return result;
  }

  /**
   * Cancels the run. The cancel is committed before this returns (so it survives eviction), no step starts
   * after it, and in-flight attempts are aborted through their watchers right after the commit.
   */
  async cancel(args: z.input<typeof CancelArgs>) {
    const { source, requestedAt } = CancelArgs.parse(args);
    if (!this.state) return { found: false as const };
    if (FINISHED.includes(this.state.status)) {
      return { found: true as const, status: this.state.status, alreadyFinished: true };
    }
    const now = Date.now();
    const latencyMs = Math.max(0, now - requestedAt);
    const effects = this.transition(
      { type: "cancelRequested", source, now },
      now,
      () => {
        this.db
          .update(runs)
          .set({ cancelSource: source, cancelRequestedAt: requestedAt, cancelAcknowledgedAt: now })
          .run();
      },
      (event, data) =>
        event === "run.cancel"
          ? { ...data, requested_at: requestedAt, acknowledged_at: now, latency_ms: latencyMs }
          : data,
    );
    this.watchers.resolveAll("cancelled");
    await this.afterCommit(effects);
    return {
      found: true as const,
      status: this.state.status,
      alreadyFinished: false,
      requestedAt,
      acknowledgedAt: now,
      latencyMs,
    };
  }

  /** Resumes a waiting step with input that its schema accepts (the engine checks it). */
  async resume(input: unknown, stepId?: string) {
    if (!this.state) return { found: false as const };
    const before = this.state.status;
    const now = Date.now();
    const effects = this.transition({ type: "resumed", input: z.json().parse(input), stepId, now }, now);
    await this.afterCommit(effects);
    return {
      found: true as const,
      status: this.state.status,
      resumed: before === "waiting" && this.state.status !== "waiting",
    };
  }

  /** The run's status, or null if it was never started. */
  async getStatus(): Promise<string | null> {
    return this.state?.status ?? null;
  }

  /** What /status shows: the step in flight (if any) and when the run started. */
  async getProgress(): Promise<{ status: string; currentStep: string | null; startedAt: number } | null> {
    if (!this.state) return null;
    const { status, startedAt } = this.state;
    return { status, currentStep: currentStep(this.db), startedAt };
  }

  /**
   * Steers a message into the active run (onBusy: steer): the next llm step sees it appended to its
   * messages. Refused once the run is over, so the session can start a new run instead.
   */
  async steer(text: string): Promise<{ accepted: boolean }> {
    if (!this.state || FINISHED.includes(this.state.status)) return { accepted: false };
    this.db
      .insert(steered)
      .values({ text: z.string().max(10_000).parse(text), receivedAt: Date.now() })
      .run();
    return { accepted: true };
  }

  /**
   * The run with every step attempt, as JSON text (`RunTrace`). Text, because the trace holds arbitrary
   * step outputs, and mapping that through the RPC stub's serializable types gains nothing.
   */
  async getTrace(): Promise<string | null> {
    const row = loadRun(this.db);
    if (!row || !this.state) return null;
    const trace: RunTrace = buildTrace(row, this.state, this.db.select().from(attempts).all());
    return JSON.stringify(trace);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const timer of dueTimers(this.db, now)) {
      const effects = this.transition({ type: "timerFired", timerId: timer.timerId, now }, now, () => {
        this.db.delete(timers).where(eq(timers.timerId, timer.timerId)).run();
      });
      this.applyAborts(effects);
    }
    await this.flushOutbox();
    await this.armAlarm();
  }

  private transition(
    event: EngineEvent,
    now: number,
    extra?: () => void,
    enrich?: (event: string, data: Record<string, unknown>) => Record<string, unknown>,
  ): Effect[] {
    const who = this.who;
    if (!who) throw new Error("run not started");
    const { state, effects } = advance(this.state ?? null, event);
    this.ctx.storage.transactionSync(() => {
      persistTransition(this.db, who, state, effects, now, enrich, this.hasCallback(who), this.chat);
      extra?.();
    });
    this.state = state;
    return effects;
  }

  private hasCallback(who: RunIdentity): boolean {
    const source = who.source ? configFor(this.env.HOOKLINE_ENV).sources[who.source] : undefined;
    return source?.channel === "generic" && source.reply !== undefined;
  }

  private async afterCommit(effects: readonly Effect[]): Promise<void> {
    this.applyAborts(effects);
    await this.flushOutbox();
    await this.armAlarm();
  }

  private applyAborts(effects: readonly Effect[]): void {
    for (const e of effects) {
      if (e.type === "abortStep")
        this.watchers.resolve(e.attemptId, e.reason === "cancelled" ? "cancelled" : "abandoned");
    }
    if (this.state && FINISHED.includes(this.state.status)) {
      // In-flight attempts keep their row until their worker reports the real abort time (see stepFinished).
      this.watchers.resolveAll("abandoned");
    }
  }

  /** Sends committed effects: STEPS/EVENTS awaited, chat and callback deliveries in the background. */
  private flushOutbox(): Promise<void> {
    return this.pump.flush();
  }

  private async armAlarm(): Promise<void> {
    const first = pendingOutbox(this.db, 1)[0];
    const retryAt = first
      ? Date.now() + Math.min(500 * 2 ** first.attempts, MAX_OUTBOX_BACKOFF_MS)
      : undefined;
    const at = nextWake(this.db, retryAt);
    if (at === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }
}
