/**
 * /stop aborts first; its bookkeeping (the record, the session's durable cancel, the confirmation) waits until
 * the /stops arriving together have all reached their aborts. In one isolate or process, a hint marks the
 * time, and `afterStopBurst()` resolves once no hint has come for `QUIET_MS`, or after `MAX_DEFER_MS` at most,
 * so a steady stream of /stops cannot hold anyone's bookkeeping back for long.
 */

/**
 * The /stops of one burst reach a host about 1 ms apart (20 at once: 0.6–0.9 ms each on Node, 1–2 ms on local
 * workerd, handled one after another), so 10 ms without a new one ends it. It was 30 ms: every confirmation of a
 * burst waited the extra 20 ms (`npm run bench:chat`, POST → "Stopped after N ms." p50 / p95 141 / 150 and
 * 108 / 122 ms with 30, 107 / 141 and 92 / 100 with 10, in runs back to back).
 */
export const QUIET_MS = 10;
export const MAX_DEFER_MS = 250;

let lastHintAt = 0;

/** A /stop hint went out now. */
export function noteStopHint(now = Date.now()): void {
  lastHintAt = Math.max(lastHintAt, now);
}

/**
 * The two aborts of one step attempt: `abort()` cuts its model connection at once (`cut`, for
 * src/steps/cut-fetch.ts) and aborts `signal`, which tears the attempt down, once the burst is over.
 *
 * @example
 * const attempt = attemptAbort();
 * watchers.wait(id).then((r) => r !== "done" && attempt.abort(new Error(`run ${r}`)));
 * await runAttempt(message, deps, attempt.signal, onText, attempt.cut);
 */
export function attemptAbort(): { signal: AbortSignal; cut: AbortSignal; abort(reason: Error): void } {
  const controller = new AbortController();
  const cut = new AbortController();
  return {
    signal: controller.signal,
    cut: cut.signal,
    abort(reason) {
      if (cut.signal.aborted) return;
      cut.abort(reason);
      void afterStopBurst().then(() => controller.abort(reason));
    },
  };
}

/** Resolves once the current burst of /stop hints is over (or `MAX_DEFER_MS` has passed). */
export async function afterStopBurst(): Promise<void> {
  const deadline = Date.now() + MAX_DEFER_MS;
  for (;;) {
    const now = Date.now();
    const wait = Math.min(lastHintAt + QUIET_MS, deadline) - now;
    if (wait <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
