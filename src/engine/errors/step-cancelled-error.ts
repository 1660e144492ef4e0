/**
 * The attempt was aborted because its run was cancelled (or the attempt was superseded). The
 * worker reports nothing for it: the RunObject already moved on and would ignore the result.
 *
 * @example
 * if (signal.aborted) throw new StepCancelledError(signal.reason);
 */
export class StepCancelledError extends Error {
  override readonly name = "StepCancelledError";
  readonly reason: unknown;

  constructor(reason?: unknown) {
    super(`step cancelled${typeof reason === "string" ? `: ${reason}` : ""}`, { cause: reason });
    this.reason = reason;
  }
}

/**
 * Whether an error means "the caller aborted", whatever the runtime calls it (`AbortError`
 * DOMException, a `TimeoutError`, or our own cancel).
 *
 * @example
 * catch (e) { if (isAbortLike(e)) … }
 */
export function isAbortLike(error: unknown): boolean {
  if (error instanceof StepCancelledError) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === "AbortError" || name === "TimeoutError" || name === "ResponseAborted";
}
