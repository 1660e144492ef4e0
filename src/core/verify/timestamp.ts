/** Replay window for schemes that sign a unix timestamp (Standard Webhooks, Stripe). */

import type { VerifyReason } from "./types.ts";

/** Unix seconds as plain digits; 15 digits is far past any real clock and keeps Number exact. */
const UNIX_SECONDS = /^\d{1,15}$/;

/**
 * Why a signed timestamp is unacceptable, or `undefined` when it is within tolerance.
 * Both directions are checked: a timestamp far in the future is as replayable as an old one
 * (Standard Webhooks spec, "Verifying webhook authenticity"). A tolerance that is not a finite,
 * non-negative number falls back to the default, and a non-finite `now` is stale, so a bad
 * argument can never widen the window to "anything goes".
 *
 * @example timestampProblem("1700000000", 1_700_000_100_000, undefined, 300) // undefined
 */
export function timestampProblem(
  raw: string,
  nowMs: number,
  toleranceSec: number | undefined,
  defaultToleranceSec: number,
): Extract<VerifyReason, "malformed_header" | "stale"> | undefined {
  if (!UNIX_SECONDS.test(raw)) return "malformed_header";
  const tolerance =
    toleranceSec !== undefined && Number.isFinite(toleranceSec) && toleranceSec >= 0
      ? toleranceSec
      : defaultToleranceSec;
  if (!Number.isFinite(nowMs)) return "stale";
  const skew = Math.abs(nowMs / 1000 - Number(raw));
  return skew <= tolerance ? undefined : "stale";
}
