import type { HooklineConfig } from "../config/schema.ts";
import { nextTask } from "../core/next-task.ts";
import type { Effect } from "../engine/effects.ts";
import type { StepMessage, StepOutcome } from "../engine/messages.ts";
import { type AttemptDeps, runAttempt } from "../steps/attempt.ts";
import type { CancelWatchers } from "./cancel-watchers.ts";
import { attemptAbort } from "./stop-burst.ts";

const NONE: ReadonlySet<string> = new Set();

/** What the inline runner needs from its run: the same entry points a STEPS worker calls over RPC. */
export interface InlineHost {
  deps: AttemptDeps & { config: HooklineConfig };
  watchers: CancelWatchers;
  stepStarted(attemptId: string, redelivery?: boolean): Promise<{ proceed: boolean }>;
  /** Applies a report the runner built itself (no RPC boundary, so no second check). */
  applyResult(stepId: string, attemptId: string, report: StepOutcome): Promise<{ applied: boolean }>;
  /** Open attempts (queued or running), not counting `except` (the attempt whose result is being applied). */
  openAttempts(except?: string): number;
  waitUntil(promise: Promise<unknown>): void;
  /** An llm attempt's text so far, as it streams (for `GET /runs/:id/stream`). */
  onText?(attemptId: string, stepId: string, text: string): void;
}

/**
 * Sequential steps run inside the RunObject instead of a queue hop. An inline attempt runs exactly as a
 * STEPS worker would (src/steps/attempt.ts), minus the hop: cancel aborts it through the same watchers, and
 * its result goes through `stepFinished`, so it is applied once. If the instance dies mid-call, the next one
 * finds the attempt open with nothing running it and hands it to the queue (`requeueOrphanedInline`).
 */
export class InlineSteps {
  /** Attempts this instance is running; after an eviction it is empty, which is how orphans show. */
  readonly running = new Set<string>();
  private readonly host: InlineHost;

  constructor(host: InlineHost) {
    this.host = host;
  }

  /**
   * Which of a transition's new attempts to run inline: the one attempt of a sequential step (first
   * attempt, nothing else in flight, timeout within `defaults.inlineMaxTimeout`). Fan-out, retries and long
   * steps take the queue.
   */
  select(effects: readonly Effect[], finishing?: string): ReadonlySet<string> {
    const { inlineSteps, inlineMaxTimeout } = this.host.deps.config.defaults;
    const enqueued = effects.filter((e) => e.type === "enqueueStep");
    const only = enqueued[0];
    if (!inlineSteps || !only || enqueued.length > 1 || only.attempt !== 1) return NONE;
    if (only.resolved.timeoutMs > inlineMaxTimeout || this.host.openAttempts(finishing) > 0) return NONE;
    return new Set([only.attemptId]);
  }

  /** Runs one inline attempt in the background (after the commit that created it). */
  start(m: StepMessage): void {
    if (this.running.has(m.attemptId)) return;
    this.running.add(m.attemptId);
    const host = this.host;
    const job = (async () => {
      // After the transition that started it has sent its outbox (events, replies) in order.
      await Promise.resolve();
      if (!(await host.stepStarted(m.attemptId)).proceed) return;
      // The model connection closes at once; the attempt's teardown once the /stops that arrive together have
      // all closed theirs (src/host/stop-burst.ts).
      const attempt = attemptAbort();
      void host.watchers.wait(m.attemptId).then((r) => {
        if (r !== "done") attempt.abort(new Error(`run ${r}`));
      });
      const onText = host.onText ? (text: string) => host.onText?.(m.attemptId, m.stepId, text) : undefined;
      const report = await runAttempt(m, host.deps, attempt.signal, onText, attempt.cut);
      // An aborted attempt's bookkeeping waits for a later task: a /stop to many chats at once aborts the
      // other streams first, instead of after this one's trace row, events and notices.
      if (attempt.signal.aborted) await nextTask();
      await host.applyResult(m.stepId, m.attemptId, report);
    })()
      .catch((err) => console.error(`inline step ${m.attemptId} not applied: ${(err as Error).message}`))
      .finally(() => this.running.delete(m.attemptId));
    host.waitUntil(job);
  }
}

/**
 * Lets `start` wait briefly for a run that finishes at once (pure steps, a fast model), so the session
 * learns the outcome from the answer to its start call instead of a `runFinished` call back: one billed
 * request less. While it waits, the finishing transition takes the waiter and writes no notice.
 */
export class FinishWaiter {
  private waiter: (() => void) | undefined;

  /** Resolves when `take()`'s callback runs or after `ms`, whichever is first. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiter = done;
    }).finally(() => {
      this.waiter = undefined;
    });
  }

  /** The pending waiter, if `start` is still waiting; taking it means "the caller will be told". */
  take(): (() => void) | undefined {
    const w = this.waiter;
    this.waiter = undefined;
    return w;
  }
}
