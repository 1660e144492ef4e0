/**
 * The signal one attempt runs under: the run's cancel signal plus the step's own timeout.
 * Unlike `AbortSignal.timeout`, the timer is cleared by `dispose()`, so a 50-step chain does not
 * leave 50 two-minute timers pending in the isolate.
 *
 * @example
 * const attempt = attemptSignal(ctx.signal, 30_000);
 * try { await fetch(url, { signal: attempt.signal }) } finally { attempt.dispose() }
 */
export function attemptSignal(
  cancel: AbortSignal,
  timeoutMs: number,
): { signal: AbortSignal; dispose: () => void } {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  );
  return { signal: AbortSignal.any([cancel, timeout.signal]), dispose: () => clearTimeout(timer) };
}
