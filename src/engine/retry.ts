import { z } from "zod";
import { DurationSchema } from "../core/duration.ts";

/** Exponential backoff: `initialMs * factor^(attempt-1)`, capped at `maxMs`. */
export const BackoffSchema = z.object({
  initialMs: DurationSchema.default(1_000),
  maxMs: DurationSchema.default(60_000),
  factor: z.number().min(1).max(10).default(2),
});

/**
 * A step's retry policy. `jitter` is the fraction (0..1) by which a delay may be shortened at
 * random, so many runs failing together do not retry in lockstep; it never lengthens a delay.
 */
export const RetryPolicySchema = z.object({
  maxAttempts: z.number().int().min(1).max(100).default(3),
  backoff: BackoffSchema.prefault({}),
  jitter: z.number().min(0).max(1).default(0.2),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/** What a step worker reports when an attempt fails. */
export const StepErrorSchema = z.object({
  message: z.string(),
  retriable: z.boolean(),
  retryAfterMs: z.number().int().min(0).optional(),
  status: z.number().int().optional(),
});
export type StepError = z.infer<typeof StepErrorSchema>;

/**
 * Whether an HTTP status is worth retrying. 408 (timeout) and 429 (rate limit) are the only
 * 4xx a repeat can fix (RFC 9110 §15.5.9, RFC 6585 §4); every other 4xx is the caller's fault.
 *
 * @example
 * isRetriableStatus(503); // true
 * isRetriableStatus(404); // false
 */
export function isRetriableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true;
  return status < 400 || status >= 500;
}

/**
 * Decides what to do after a failed attempt: retry after `delayMs`, or give up.
 * `random` returns a number in [0, 1); the engine derives it from the attempt id so that
 * replaying the same failure always yields the same delay.
 *
 * @example
 * planRetry(policy, 1, { message: "503", retriable: true }, () => 0);
 * // { retry: true, delayMs: 1000 }
 */
export function planRetry(
  policy: RetryPolicy,
  attempt: number,
  error: StepError,
  random: () => number,
): { retry: true; delayMs: number } | { retry: false; reason: "non_retriable" | "exhausted" } {
  const retriable = error.retriable && (error.status === undefined || isRetriableStatus(error.status));
  if (!retriable) return { retry: false, reason: "non_retriable" };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: "exhausted" };
  // A server's Retry-After is a statement about its own recovery, so it wins over our curve.
  if (error.retryAfterMs !== undefined) return { retry: true, delayMs: error.retryAfterMs };
  return { retry: true, delayMs: backoffDelay(policy, attempt, random()) };
}

/**
 * The backoff before attempt `attempt + 1`, with jitter applied.
 *
 * @example
 * backoffDelay(policy, 3, 0); // initialMs * factor^2, capped at maxMs
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, r: number): number {
  const { initialMs, maxMs, factor } = policy.backoff;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - policy.jitter * Math.min(Math.max(r, 0), 1)));
}

/**
 * A deterministic number in [0, 1) from a string (FNV-1a), so jitter needs no random source
 * and `advance` stays a pure function of its inputs.
 *
 * @example
 * hashUnit("run_1:fetch#2"); // same value on every call
 */
export function hashUnit(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 0x1_0000_0000;
}
