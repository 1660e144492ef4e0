/**
 * Shared shapes for webhook verifiers. Every scheme has the same form so a handler can pick one
 * from config: `verify({ rawBody, headers, secrets, now }) → { ok: true, keyId } | { ok: false, reason }`.
 */

/** The closed set of reasons a delivery is refused. Reasons are for logs, never echoed to the sender. */
export type VerifyReason =
  | "missing_header"
  | "malformed_header"
  | "stale"
  | "bad_signature"
  | "no_secret"
  | "bad_secret";

/** One configured secret. `id` (e.g. the env var name) is reported back as `keyId`; `value` never is. */
export interface Secret {
  id: string;
  value: string;
}

export interface VerifyInput {
  /** The exact bytes received; never parsed before verification. */
  rawBody: Uint8Array;
  /** Web-standard Headers, so lookups are case-insensitive. */
  headers: Headers;
  /** Several for rotation; any one may match. Empty values count as absent. */
  secrets: readonly Secret[];
  /** Epoch milliseconds. Verifiers never read the clock themselves, so tests and replays are deterministic. */
  now: number;
  /** Overrides the scheme's default tolerance where the scheme signs a timestamp. */
  toleranceSec?: number;
}

export type VerifyResult = { ok: true; keyId: string } | { ok: false; reason: VerifyReason };

export type Verifier = (input: VerifyInput) => Promise<VerifyResult>;

export type Scheme = "telegram" | "meta" | "standard-webhooks" | "github" | "stripe";
