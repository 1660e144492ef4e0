import { NonRetriableError } from "../engine/errors/non-retriable-error.ts";
import { RetriableStepError } from "../engine/errors/retriable-step-error.ts";
import { RetryAfterError } from "../engine/errors/retry-after-error.ts";
import { isAbortLike, StepCancelledError } from "../engine/errors/step-cancelled-error.ts";

/**
 * Turns whatever an attempt threw into one of the errors the engine's retry policy reads.
 * A cancel wins over everything else: once the run's signal fired, the attempt's own failure
 * (usually the resulting AbortError) is no longer interesting.
 *
 * @example
 * catch (e) { throw failureOf(e, { cancel: ctx.signal, timeoutMs: 30_000, what: "GET https://x.test/" }) }
 */
export function failureOf(
  error: unknown,
  at: { cancel: AbortSignal; timeoutMs: number; what: string },
): Error {
  if (at.cancel.aborted)
    return error instanceof StepCancelledError ? error : new StepCancelledError(at.cancel.reason);
  if (
    error instanceof NonRetriableError ||
    error instanceof RetryAfterError ||
    error instanceof RetriableStepError ||
    error instanceof StepCancelledError
  ) {
    return error;
  }
  // The only other signal in play is the attempt's own timeout.
  if (isAbortLike(error))
    return new RetriableStepError(`${at.what} timed out after ${at.timeoutMs} ms`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new RetriableStepError(`${at.what} failed: ${message}`, { cause: error });
}

/** Tokens a failed attempt still consumed, as the provider reported them before it failed. */
export interface PartialUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * Attaches the usage a failed attempt consumed to its error, for the attempt report (`usageOf`).
 *
 * @example
 * throw withUsage(new RetriableStepError("stream broke off"), { inputTokens: 5, outputTokens: 3 });
 */
export function withUsage<E extends Error>(error: E, usage: PartialUsage): E {
  Object.defineProperty(error, "usage", { value: usage, enumerable: false, configurable: true });
  return error;
}

/** The usage `withUsage` attached, if any. */
export function usageOf(error: unknown): PartialUsage | undefined {
  const usage = (error as { usage?: PartialUsage } | null)?.usage;
  return usage && typeof usage.inputTokens === "number" && typeof usage.outputTokens === "number"
    ? usage
    : undefined;
}
