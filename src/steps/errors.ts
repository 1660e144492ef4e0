/**
 * Step-executor errors that the engine's control-flow errors (`NonRetriableError`,
 * `RetryAfterError` in src/engine/errors) do not cover. `toStepError` reads `status` from them.
 */

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
 * A failure worth retrying on the step's backoff curve: a 408, a 429 or 5xx without
 * `Retry-After`, a network error or a timeout.
 *
 * @example
 * throw new RetriableStepError("POST https://api.example.com/v1 returned 502", { status: 502 });
 */
export class RetriableStepError extends Error {
  override readonly name = "RetriableStepError";
  readonly status: number | undefined;

  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
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
