import { eq } from "drizzle-orm";
import { z } from "zod";
import fresh from "../../migrations/durable/run/fresh.sql";
import migrations from "../../migrations/durable/run/migrations.js";
import { nextTask } from "../core/next-task.ts";
import { attempts, relaunches, runs, steered, timers } from "../db/durable/run-schema.ts";
import { advance } from "../engine/advance.ts";
import type { Effect } from "../engine/effects.ts";
import type { EngineEvent } from "../engine/events.ts";
import type { StepOutcome, StepReport } from "../engine/messages.ts";
import { retrySeed } from "../engine/relaunch.ts";
import { type AttemptBlock, FINISHED, type RunState } from "../engine/state.ts";
import { AlarmKeeper } from "./alarm.ts";
import type { RunApi } from "./api.ts";
import { CancelWatchers, type WatchResult } from "./cancel-watchers.ts";
import { check } from "./check.ts";
import { migrateObject } from "./migrate.ts";
import type { ObjectState } from "./ports.ts";
import {
  AttemptId,
  type CancelResult,
  CancelRun,
  DeadLetterArgs,
  type RelaunchResult,
  type ResumeResult,
  ResumeRun,
  RunId,
  type RunProgress,
  SessionToRun,
  type SessionToRunReplies,
  type StartResult,
  StartRun,
  StepFinishedArgs,
} from "./protocol.ts";
import type { Resources } from "./resources.ts";
import { chatOriginOf, identityOf, newRunRow, resultOf } from "./run-args.ts";
import { ChangeWaiters, LiveTexts, lastSeq, MAX_WAIT_MS, type RunEventsPage, readLog } from "./run-events.ts";
import { FinishWaiter, InlineSteps } from "./run-inline.ts";
import { createRunPump, type OutboxPump } from "./run-outbox.ts";
import { type HeldResult, notStopped, StopHold } from "./run-stop-hold.ts";
import {
  attemptRow,
  attemptStatus,
  type ChatOrigin,
  currentStep,
  dueTimers,
  insertEvent,
  loadRun,
  nextWake,
  openAttempts,
  pendingOutbox,
  persistTransition,
  type RunIdentity,
  recordAttempt,
  requeueOrphanedInline,
  resendUnstarted,
  type TransitionContext,
  timeoutFromStart,
} from "./run-store.ts";
import { buildTrace } from "./run-trace.ts";
import { openDb, prepared, setTo } from "./sqlite.ts";

const MAX_OUTBOX_BACKOFF_MS = 60_000;
/** How long `start` waits for an inline run to finish before answering "running". */
const START_WAIT_MS = 10;
const isOpen = (status: string) => status === "queued" || status === "running";

/**
 * One run, on any host (a Durable Object on Workers, an in-process object on Node). It holds the run's
 * state and asks the pure engine what to do next: every transition (state + attempt rows + STEPS
 * messages + timers + events) commits in one SQLite transaction, and the effects are sent after the
 * commit from the outbox, so a crash between the two loses nothing.
 *
 * Cancel is push-first: a step worker holds an outstanding `watchCancel(attemptId)` call while it runs the
 * attempt; `cancel()` commits the cancel and then resolves those calls, and the worker aborts the attempt's
 * AbortSignal at once. A result for an attempt that is no longer outstanding is ignored and counted.
 */
export class Run implements RunApi {
  private readonly db;
  private state: RunState | undefined;
  private who: RunIdentity | undefined;
  private chat: ChatOrigin | undefined;
  private readonly watchers = new CancelWatchers();
  private readonly pump: OutboxPump;
  private readonly inline: InlineSteps;
  private readonly finish = new FinishWaiter();
  private readonly alarms: AlarmKeeper;
  /** Stream subscribers (`eventsSince` calls) waiting for the next commit or more live text. */
  private readonly changes = new ChangeWaiters();
  private readonly live = new LiveTexts();
  /** Results of attempts a /stop hint aborted, until the session's cancel commits (src/host/run-stop-hold.ts). */
  private readonly stopHold = new StopHold((held) => this.host.waitUntil(this.releaseHeld(held)));

  private readonly host: ObjectState;
  private readonly res: Resources;

  constructor(host: ObjectState, res: Resources) {
    this.host = host;
    this.res = res;
    this.db = openDb(host.storage);
    this.alarms = new AlarmKeeper(host.storage);
    this.inline = new InlineSteps({
      deps: res,
      watchers: this.watchers,
      stepStarted: (id) => this.stepStarted(id),
      applyResult: (stepId, id, report) => this.applyResult(stepId, id, report),
      openAttempts: (except) => openAttempts(this.db, except),
      waitUntil: (p) => host.waitUntil(p),
      onText: (attemptId, stepId, text) => {
        this.live.set(attemptId, stepId, text);
        this.changes.notify();
      },
    });
    this.pump = createRunPump({
      db: this.db,
      res,
      storage: host.storage,
      origin: () => (this.who ? { who: this.who, chat: this.chat } : undefined),
      afterDeliveries: () => this.armAlarm(),
      waitUntil: (p) => host.waitUntil(p),
    });
    host.blockConcurrencyWhile(async () => {
      await migrateObject(this.db, host.storage, migrations, fresh);
      const row = loadRun(this.db);
      if (row) {
        this.state = JSON.parse(row.state) as RunState;
        this.who = identityOf(row);
        this.chat = chatOriginOf(row);
      }
      await this.alarms.load();
      // Inline attempts open in storage were being run by an instance that is gone: hand them to the queue.
      const orphans = host.storage.transactionSync(() =>
        requeueOrphanedInline(this.db, Date.now(), new Set()),
      );
      if (orphans > 0) host.waitUntil(this.pump.flush());
    });
  }

  /** The Session → Run protocol: one checked union, one answer type per message. */
  async fromSession<M extends SessionToRun>(message: M): Promise<SessionToRunReplies[M["type"]]> {
    const m = check(SessionToRun, message, "Run.fromSession");
    const reply = (() => {
      switch (m.type) {
        case "start":
          return this.start(m);
        case "cancel":
          return this.cancel(m);
        case "steer":
          return this.steer(m.text);
        case "resume":
          return this.resume(m);
        case "progress":
          return this.progress();
        case "stopping":
          return this.stopping();
      }
    })();
    return reply as Promise<SessionToRunReplies[M["type"]]>;
  }

  /** Starts the run once; a repeated start (redelivered trigger) returns the existing run. */
  private async start(args: z.input<typeof StartRun>): Promise<StartResult> {
    const a = check(StartRun, args, "Run.start");
    if (this.state) return { runId: a.runId, status: this.state.status, created: false };
    const now = Date.now();
    const { state, effects } = advance(null, { ...a, type: "start", now } as EngineEvent);
    const row = newRunRow(a, state.status, now);
    this.who = identityOf(row);
    this.chat = chatOriginOf(row);
    const inline = this.host.storage.transactionSync(() => {
      // Inserted with its first state, so the transition below writes only its effects (rows are billed).
      this.db
        .insert(runs)
        .values({ ...row, state: JSON.stringify(state) })
        .run();
      const link = a.link ? { [`${a.link.kind}_of`]: a.link.runId } : {};
      const ctx = {
        ...this.context(),
        inline: this.inline.select(effects),
        runRowWritten: true,
        // The run index and the dashboard learn the link from the run's first event.
        enrich: (event: string, data: Record<string, unknown>) =>
          event === "run.state" && data.state === "started" ? { ...data, ...link } : data,
      };
      return persistTransition(ctx, state, effects, now);
    });
    this.state = state;
    this.changes.notify();
    // A chat run whose steps run inline often ends within milliseconds (a pure step, a fast model): its
    // session learns that from this answer, which saves the "finished" call back (one billed request).
    const waiting = this.chat && inline.length > 0 ? this.finish.wait(START_WAIT_MS) : undefined;
    for (const m of inline) this.inline.start(m);
    await this.afterCommit(effects);
    await waiting;
    return { runId: a.runId, status: this.state.status, created: true };
  }

  /** A step worker is about to run an attempt. False means: don't (run over, or attempt not outstanding). */
  async stepStarted(attemptId: string, redelivery = false): Promise<{ proceed: boolean }> {
    const id = check(AttemptId, attemptId, "Run.stepStarted attemptId");
    const again = check(z.boolean(), redelivery, "Run.stepStarted redelivery");
    const row = attemptRow(this.db, id);
    const block = this.attemptBlock((b) => b.attemptId === id);
    // An attempt the engine no longer waits for (it timed out and was retried) must not start again: its
    // row stays open until a worker reports, so a redelivered message would otherwise run it a second time.
    // A running attempt starts again only for a redelivery (its worker may have died), never for the first
    // delivery of another copy (a duplicate, or a copy `resendUnstarted` sent while the original was late).
    if (
      !row ||
      !this.state ||
      FINISHED.includes(this.state.status) ||
      !isOpen(row.status) ||
      (row.status === "running" && !again) ||
      !block
    )
      return { proceed: false };
    const now = Date.now();
    const start = () =>
      this.db
        .update(attempts)
        .set({ status: "running", startedAt: row.startedAt ?? now, deliveries: row.deliveries + 1 })
        .where(eq(attempts.attemptId, id))
        .run();
    // A queued attempt may have waited in a backlog: its timeout counts from now. An inline one starts
    // right after the commit that queued it, so its timer is already right.
    if (row.status === "queued" && row.mode === "queue")
      this.host.storage.transactionSync(() => {
        start();
        timeoutFromStart(this.db, block.timeoutTimerId, row.message, now);
      });
    else start();
    return { proceed: true };
  }

  /**
   * Resolves when the attempt must stop ("cancelled"/"abandoned") or has been applied ("done"). The step
   * worker keeps this call outstanding while it works: that is the push path for cancel.
   */
  async watchCancel(attemptId: string): Promise<WatchResult> {
    const id = check(AttemptId, attemptId, "Run.watchCancel attemptId");
    const status = attemptStatus(this.db, id);
    if (!status || !this.state) return "abandoned";
    if (this.state.status === "cancelled") return "cancelled";
    if (isOpen(status) && !this.awaited(id)) return "abandoned";
    if (!isOpen(status)) return "done";
    return this.watchers.wait(id);
  }

  /** Whether an attempt is still wanted; the polling fallback when a watch is lost. */
  async isOutstanding(attemptId: string): Promise<boolean> {
    const status = attemptStatus(this.db, check(AttemptId, attemptId, "Run.isOutstanding attemptId"));
    return (
      !!status &&
      isOpen(status) &&
      !FINISHED.includes(this.state?.status ?? "failed") &&
      this.awaited(attemptId)
    );
  }

  /** Whether the engine waits for this attempt's result (not one that timed out and was retried). */
  private awaited(attemptId: string): boolean {
    return this.attemptBlock((b) => b.attemptId === attemptId) !== undefined;
  }

  /** The attempt the engine waits for that matches `which`, if any. */
  private attemptBlock(which: (block: AttemptBlock) => boolean): AttemptBlock | undefined {
    if (!this.state) return undefined;
    for (const thread of Object.values(this.state.threads)) {
      if (thread.block?.type === "attempt" && which(thread.block)) return thread.block;
    }
    return undefined;
  }

  /** Applies one attempt's result exactly once. Stale, repeated and late results are ignored and counted. */
  async stepFinished(stepId: string, attemptId: string, report: StepReport): Promise<{ applied: boolean }> {
    const { report: r } = check(StepFinishedArgs, { stepId, attemptId, report }, "Run.stepFinished");
    return this.applyResult(stepId, attemptId, r);
  }

  /** `stepFinished` past its argument check: the inline runner's own reports come here directly. */
  private async applyResult(
    stepId: string,
    attemptId: string,
    r: StepOutcome,
  ): Promise<{ applied: boolean }> {
    this.live.delete(attemptId);
    const over = !this.state || FINISHED.includes(this.state.status);
    if (!over && this.stopHold.keep({ attemptId, stepId, report: r })) return { applied: false };
    const row = attemptRow(this.db, attemptId);
    const open = !!row && isOpen(row.status) && row.stepId === stepId;
    const outstanding = open && (over || this.awaited(attemptId));
    // A late result after the run ended (typically the aborted attempt of a cancelled run) is not applied,
    // but its real timings go into the trace: that is how abort latency is observed.
    if (row && outstanding && over) recordAttempt(this.db, row, r, { status: "cancelled" });
    // A result of an attempt that timed out (the engine failed it and moved on) is not applied either; its row
    // closes as failed instead of claiming a success the run never used.
    if (row && open && !outstanding) recordAttempt(this.db, row, r, { status: "failed" });
    if (!this.state || !row || !outstanding || over) {
      const ignored = (this.state?.ignoredResults ?? 0) + 1;
      prepared(this.db, "run:runs.ignored", (d) =>
        d
          .update(runs)
          .set({ ignoredResults: setTo("ignored") })
          .prepare(),
      ).run({ ignored });
      if (this.state) this.state.ignoredResults = ignored;
      this.watchers.resolve(attemptId, "done");
      return { applied: false };
    }
    const now = Date.now();
    const { event, status, events } = resultOf(row, r, now);
    const effects = this.transition(event, now, {
      writes: () => recordAttempt(this.db, row, r, { status, prices: this.state?.prices ?? {} }),
      extraEvents: events,
    });
    this.watchers.resolve(attemptId, "done");
    await this.afterCommit(effects);
    return { applied: true };
  }

  /** A STEPS message exhausted its deliveries: fail the attempt for good, so the run never wedges. */
  async stepDeadLettered(stepId: string, attemptId: string, reason: string): Promise<{ applied: boolean }> {
    check(DeadLetterArgs, { stepId, attemptId, reason }, "Run.deadLettered");
    const now = Date.now();
    const error = { message: `dead-lettered: ${reason}`, retriable: false };
    const outcome = { ok: false as const, error, aborted: false, startedAt: now, finishedAt: now };
    const result = await this.applyResult(stepId, attemptId, outcome);
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
  async cancel(args: Omit<z.input<typeof CancelRun>, "type">): Promise<CancelResult> {
    const { source, requestedAt } = check(CancelRun, { ...args, type: "cancel" }, "Run.cancel");
    if (!this.state) return { found: false };
    if (FINISHED.includes(this.state.status)) {
      this.stopHold.end();
      return { found: true, status: this.state.status, alreadyFinished: true };
    }
    const now = Date.now();
    const latencyMs = Math.max(0, now - requestedAt);
    const timings = { requested_at: requestedAt, acknowledged_at: now, latency_ms: latencyMs };
    const cancelled = { cancelSource: source, cancelRequestedAt: requestedAt, cancelAcknowledgedAt: now };
    const effects = this.transition({ type: "cancelRequested", source, now }, now, {
      writes: () =>
        prepared(this.db, "run:runs.cancel", (d) =>
          d
            .update(runs)
            .set({
              cancelSource: setTo("cancelSource"),
              cancelRequestedAt: setTo("cancelRequestedAt"),
              cancelAcknowledgedAt: setTo("cancelAcknowledgedAt"),
            })
            .prepare(),
        ).run(cancelled),
      enrich: (event, data) => (event === "run.cancel" ? { ...data, ...timings } : data),
    });
    this.watchers.resolveAll("cancelled");
    // The aborts are under way; sending the outbox and re-arming waits for a later task, so cancels that
    // arrive together each reach their abort before any of them does this follow-up work.
    await nextTask();
    // Results a /stop hint held are now the cancelled run's late results.
    this.stopHold.end();
    await this.afterCommit(effects);
    const status = this.state.status;
    return { found: true, status, alreadyFinished: false, requestedAt, acknowledgedAt: now, latencyMs };
  }

  /**
   * The session recorded a /stop for this run's chat: abort the in-flight attempts now, ahead of its durable
   * `cancel`, and hold their results until that cancel commits (src/host/run-stop-hold.ts). Nothing is written.
   */
  private stopping(): { aborting: number } {
    const aborting = this.watchers.size;
    if (!this.state || FINISHED.includes(this.state.status) || aborting === 0) return { aborting: 0 };
    this.stopHold.begin();
    this.watchers.resolveAll("cancelled");
    return { aborting };
  }

  /** The hold ended: a cancelled run records them as its late results; otherwise the step runs again. */
  private async releaseHeld(held: HeldResult[]): Promise<void> {
    for (const { attemptId, stepId, report } of held) {
      if (!this.state || FINISHED.includes(this.state.status)) {
        await this.applyResult(stepId, attemptId, report);
        continue;
      }
      const retry = notStopped(report);
      console.warn(`run ${this.who?.runId} ${attemptId}: ${retry.error.message}`);
      await this.applyResult(stepId, attemptId, retry);
    }
  }

  /** Resumes a waiting step with input that its schema accepts (the engine checks it). */
  async resume(args: Omit<z.input<typeof ResumeRun>, "type">): Promise<ResumeResult> {
    const { input, stepId } = check(ResumeRun, { ...args, type: "resume" }, "Run.resume");
    if (!this.state) return { found: false };
    const before = this.state.status;
    const now = Date.now();
    const effects = this.transition({ type: "resumed", input, stepId, now }, now);
    await this.afterCommit(effects);
    const status = this.state.status;
    return { found: true, status, resumed: before === "waiting" && status !== "waiting" };
  }

  /**
   * Starts a new run from this one: `restart` runs the same pinned workflow with the same input and event;
   * `retry` starts at the step that failed (or was in flight when the run was cancelled) and reuses the
   * outputs of the top-level steps before it. The new run is linked both ways (`restartOf`/`retryOf` in its
   * trace, `relaunches` in this one's). It keeps the source, delivery key and chat: a chat run's relaunch
   * replies in that chat and asks its approvals there (a callback source is called again). It is not the
   * chat's active run: the session ignores its finish, and /stop in the chat does not reach it (the API's
   * cancel does).
   */
  async relaunch(args: { kind: "restart" | "retry"; runId: string }): Promise<RelaunchResult> {
    const kind = args.kind === "retry" ? "retry" : "restart";
    const runId = check(RunId, args.runId, "Run.relaunch runId");
    const row = loadRun(this.db);
    if (!this.state || !row) return { found: false };
    const status = this.state.status;
    const seed = kind === "retry" ? retrySeed(this.state) : undefined;
    if (kind === "retry" && !seed) {
      const reason =
        status === "completed"
          ? "it completed"
          : FINISHED.includes(status)
            ? "no step to retry"
            : `it is ${status}`;
      return { found: true, started: false, status, reason: `nothing to retry: ${reason}` };
    }
    const now = Date.now();
    const started = await this.res.runs.getByName(runId).fromSession({
      type: "start",
      runId,
      workflowId: row.workflowId,
      workflow: this.state.workflow,
      input: this.state.input,
      event: this.state.event,
      prices: this.state.prices,
      // A chat run's relaunch answers in the same chat, as the person who started it (replies, approvals).
      origin:
        row.source && row.deliveryKey
          ? {
              source: row.source,
              deliveryKey: row.deliveryKey,
              ...(row.sessionKey && { sessionKey: row.sessionKey }),
              ...(row.channel && { channel: row.channel }),
              chatId: row.chatId,
              senderId: row.senderId,
            }
          : null,
      link: { kind, runId: row.id },
      ...(seed && { seed }),
    });
    const who = this.who;
    this.host.storage.transactionSync(() => {
      this.db.insert(relaunches).values({ runId, kind, at: now }).onConflictDoNothing().run();
      if (who) insertEvent(this.db, who, "run.relaunched", { kind, run_id: runId, at: now }, now);
    });
    this.changes.notify();
    await this.pump.flush();
    return {
      found: true,
      started: true,
      runId,
      kind,
      status: started.status,
      ...(seed && { fromStep: seed.fromStep }),
    };
  }

  /**
   * The run's logged events after sequence number `after` (what `GET /runs/:id/stream` serves and resumes
   * from), plus the text inline llm attempts have streamed beyond `offsets`. With nothing new and the run not
   * over, waits up to `waitMs` for the next commit or more text: an outstanding call per subscriber.
   */
  async eventsSince(
    after: number,
    waitMs = 0,
    offsets: Record<string, number> = {},
    subscriber?: string,
  ): Promise<RunEventsPage> {
    const from = Math.max(0, Math.floor(Number(after) || 0));
    const page = () => {
      const status = this.state?.status ?? "unknown";
      return {
        events: readLog(this.db, from),
        live: this.live.since(offsets),
        status,
        finished: FINISHED.includes(status as RunState["status"]),
        lastSeq: lastSeq(this.db),
      };
    };
    let first = page();
    if (first.events.length === 0 && first.live.length === 0 && !first.finished && waitMs > 0) {
      await this.changes.wait(Math.min(waitMs, MAX_WAIT_MS), subscriber);
      first = page();
    }
    return first;
  }

  /** A stream subscriber went away: end its `eventsSince` wait now. */
  async releaseSubscriber(subscriber: string): Promise<void> {
    this.changes.release(String(subscriber));
  }

  /** The run's status, or null if it was never started. */
  async getStatus(): Promise<string | null> {
    return this.state?.status ?? null;
  }

  /**
   * The run with every step attempt, as JSON text (`RunTrace`). Text, because the trace holds arbitrary
   * step outputs, and mapping that through workerd's RPC stub types gains nothing.
   */
  async getTrace(): Promise<string | null> {
    const row = loadRun(this.db);
    if (!row || !this.state) return null;
    const relaunched = this.db.select().from(relaunches).orderBy(relaunches.at).all();
    return JSON.stringify(buildTrace(row, this.state, this.db.select().from(attempts).all(), relaunched));
  }

  /** Fires due timers, resends what the outbox still holds, and sleeps until the next timer. */
  async alarm(): Promise<void> {
    const now = Date.now();
    // An inline attempt that nothing here runs any more (its job died before reporting) goes to the queue.
    // An attempt whose result a /stop hint holds is not an orphan: its result is here, waiting for the cancel.
    const live = new Set([...this.inline.running, ...this.stopHold.ids()]);
    this.host.storage.transactionSync(() => requeueOrphanedInline(this.db, now, live));
    for (const timer of dueTimers(this.db, now)) {
      // A queued attempt that never started is sent again instead of timed out (see resendUnstarted).
      const timedOut = this.attemptBlock((b) => b.timeoutTimerId === timer.timerId);
      if (
        timedOut &&
        this.host.storage.transactionSync(() =>
          resendUnstarted(this.db, timedOut.attemptId, timer.timerId, now),
        )
      )
        continue;
      const effects = this.transition({ type: "timerFired", timerId: timer.timerId, now }, now, {
        writes: () => this.db.delete(timers).where(eq(timers.timerId, timer.timerId)).run(),
      });
      this.applyAborts(effects);
    }
    await this.pump.flush();
    await this.armAlarm();
  }

  /** What /status shows: the step in flight (if any) and when the run started. */
  private async progress(): Promise<RunProgress | null> {
    if (!this.state) return null;
    const { status, startedAt } = this.state;
    return { status, currentStep: currentStep(this.db), startedAt };
  }

  /**
   * Steers a message into the active run (onBusy: steer): the next llm step sees it appended to its
   * messages. Refused once the run is over, so the session can start a new run instead.
   */
  private async steer(text: string): Promise<{ accepted: boolean }> {
    if (!this.state || FINISHED.includes(this.state.status)) return { accepted: false };
    this.db.insert(steered).values({ text, receivedAt: Date.now() }).run();
    return { accepted: true };
  }

  private context() {
    const who = this.who;
    if (!who) throw new Error("run not started");
    const source = who.source ? this.res.config.sources[who.source] : undefined;
    const hasCallback = source?.channel === "generic" && source.reply !== undefined;
    return { db: this.db, who, chat: this.chat, hasCallback };
  }

  /**
   * One engine transition, committed: the new state, its effects' rows, and `also.writes` in one
   * transaction; `also.enrich` and `also.events` shape the events it records.
   */
  private transition(
    event: EngineEvent,
    now: number,
    also: Pick<TransitionContext, "enrich" | "extraEvents"> & { writes?: () => void } = {},
  ): Effect[] {
    const { state, effects } = advance(this.state ?? null, event);
    const finishing = effects.some((e) => e.type === "finish") ? this.finish.take() : undefined;
    const ctx = {
      ...this.context(),
      enrich: also.enrich,
      extraEvents: also.extraEvents,
      // The attempt whose result this applies is still open in storage until this commit: don't count it.
      inline: this.inline.select(effects, "attemptId" in event ? event.attemptId : undefined),
      quietFinish: !!finishing,
    };
    const inline = this.host.storage.transactionSync(() => {
      const messages = persistTransition(ctx, state, effects, now);
      also.writes?.();
      return messages;
    });
    this.state = state;
    this.changes.notify();
    finishing?.();
    for (const m of inline) this.inline.start(m);
    return effects;
  }

  private async afterCommit(effects: readonly Effect[]): Promise<void> {
    this.applyAborts(effects);
    await this.pump.flush();
    await this.armAlarm();
  }

  private applyAborts(effects: readonly Effect[]): void {
    for (const e of effects) {
      if (e.type === "abortStep")
        this.watchers.resolve(e.attemptId, e.reason === "cancelled" ? "cancelled" : "abandoned");
    }
    // In-flight attempts keep their row until their worker reports the real abort time (see stepFinished).
    if (this.state && FINISHED.includes(this.state.status)) this.watchers.resolveAll("abandoned");
  }

  private async armAlarm(): Promise<void> {
    const queued = pendingOutbox(this.db, 1, ["step", "event"])[0];
    const queuedAt = queued
      ? Date.now() + Math.min(500 * 2 ** queued.attempts, MAX_OUTBOX_BACKOFF_MS)
      : undefined;
    const deliveryAt = this.pump.nextDeliveryAt();
    const retryAt =
      queuedAt === undefined
        ? deliveryAt
        : deliveryAt === undefined
          ? queuedAt
          : Math.min(queuedAt, deliveryAt);
    await this.alarms.set(nextWake(this.db, retryAt, Date.now()) ?? null);
  }
}
