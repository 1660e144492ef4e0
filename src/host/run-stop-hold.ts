import type { StepOutcome } from "../engine/messages.ts";

/** How long the results of attempts a /stop hint aborted wait for the session's durable cancel. */
export const STOP_HOLD_MS = 60_000;

export interface HeldResult {
  attemptId: string;
  stepId: string;
  report: StepOutcome;
}

/**
 * /stop aborts first and commits second. When a session records a /stop, it sends its active run a hint
 * (`stopping`) before its own machine has decided anything; the run aborts its in-flight attempts at once, and
 * the session's durable `cancel` follows through the chat machine as before. Between the two, an aborted
 * attempt's result must not be applied (the run would fail or retry the step), so it is held here, in
 * memory, until `end()`:
 * - the cancel committed: the held results are recorded as the cancelled run's attempts, as any late result is;
 * - `STOP_HOLD_MS` passed without it (the session could not carry out the /stop, e.g. its earlier replies wait
 *   behind a chat API outage): each is applied as a retriable failure, so the step runs again. A hint alone
 *   never ends a step.
 *
 * Nothing here is stored: after an eviction or a crash the held attempts are open rows with nothing running
 * them, which the run already recovers (an inline one is requeued, a queued one times out), and the /stop is a
 * recorded intent that the session carries out again.
 */
export class StopHold {
  private readonly held = new Map<string, HeldResult>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly release: (held: HeldResult[]) => void;

  constructor(release: (held: HeldResult[]) => void) {
    this.release = release;
  }

  /** A hint arrived: from now until `end()` (or the hold time), aborted results are kept. */
  begin(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.end(), STOP_HOLD_MS);
    // On Node an object must not keep the process alive for this; workerd's timers have no unref.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Keeps an aborted attempt's result while a hint is active; false means "apply it as usual". */
  keep(result: HeldResult): boolean {
    if (!this.timer || result.report.ok || !result.report.aborted) return false;
    this.held.set(result.attemptId, result);
    return true;
  }

  /** Whether an attempt's result is held (its attempt is open, but it is not an orphan). */
  has(attemptId: string): boolean {
    return this.held.has(attemptId);
  }

  /** Attempt ids whose results are held. */
  ids(): string[] {
    return [...this.held.keys()];
  }

  /** Ends the hold and hands every held result to `release`. */
  end(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const held = [...this.held.values()];
    this.held.clear();
    if (held.length > 0) this.release(held);
  }
}

/**
 * A held result whose cancel never came: a retriable failure, so the engine's retry policy runs the step again.
 *
 * @example notStopped(report).error.retriable // true
 */
export function notStopped(report: StepOutcome): Extract<StepOutcome, { ok: false }> {
  return {
    ok: false,
    error: {
      message: `aborted for a /stop whose cancel did not follow within ${STOP_HOLD_MS / 1000} s; the step runs again`,
      retriable: true,
    },
    aborted: false,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
  };
}
