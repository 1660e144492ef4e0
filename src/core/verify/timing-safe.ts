/**
 * Constant-time equality. An early return on the first differing byte lets an attacker find a
 * signature or token byte by byte from response times (the reason grammY, Stripe and the Standard
 * Webhooks reference library all compare this way).
 */

import { utf8 } from "./encoding.ts";

/**
 * Compares `given` (attacker-controlled) with `expected` (secret-derived). The loop always runs
 * over `expected`'s length, so the time depends neither on where the inputs differ nor on the
 * length the attacker chose; a length mismatch is folded into the result instead of returned early.
 *
 * @example timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])) // true
 */
export function timingSafeEqual(given: Uint8Array, expected: Uint8Array): boolean {
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) {
    diff |= (given[i] ?? 0) ^ (expected[i] as number);
  }
  return diff === 0;
}

/**
 * {@link timingSafeEqual} over the UTF-8 bytes of two strings.
 *
 * @example timingSafeEqualText(header, secret.value)
 */
export function timingSafeEqualText(given: string, expected: string): boolean {
  return timingSafeEqual(utf8(given), utf8(expected));
}
