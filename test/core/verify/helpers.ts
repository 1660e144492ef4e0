/** Small builders shared by the verifier tests (not a test file itself). */

import type { Secret, VerifyInput } from "../../../src/core/verify/index.ts";

/** A fixed clock: 2023-11-14T22:13:20Z. */
export const NOW = 1_700_000_000_000;
export const NOW_SEC = NOW / 1000;

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

export const secret = (id: string, value: string): Secret => ({ id, value });

/** A VerifyInput with a JSON body and one secret unless overridden. */
export function input(
  overrides: Omit<Partial<VerifyInput>, "headers"> & { headers: HeadersInit },
): VerifyInput {
  const { headers, ...rest } = overrides;
  return {
    rawBody: bytes('{"hello":"world"}'),
    secrets: [secret("PRIMARY", "unused")],
    now: NOW,
    ...rest,
    headers: headers instanceof Headers ? headers : new Headers(headers),
  };
}

/** Returns a copy of a non-empty `body` with one byte changed (XOR with a mask forced into 1..255). */
export function flipByte(body: Uint8Array, index: number, mask = 1): Uint8Array {
  const copy = new Uint8Array(body);
  const at = index % copy.length;
  copy[at] = (copy[at] ?? 0) ^ ((Math.abs(mask) % 255) + 1);
  return copy;
}
