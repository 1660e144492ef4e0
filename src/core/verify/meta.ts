/**
 * Meta (WhatsApp Cloud API, Messenger, Instagram) webhooks.
 * - POST deliveries carry `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
 *   Meta signs the bytes it sent, which escape non-ASCII as \uXXXX, so re-serialised JSON would not
 *   match; only the raw body can be verified.
 * - Subscribing sends `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`; we must echo the
 *   challenge only when the token is ours.
 * https://developers.facebook.com/docs/graph-api/webhooks/getting-started
 */

import { verifyHubSignature } from "./hub-signature.ts";
import { usableSecrets } from "./secrets.ts";
import { timingSafeEqualText } from "./timing-safe.ts";
import type { Secret, VerifyInput, VerifyResult } from "./types.ts";

/**
 * Verifies a Meta event notification against one or more app secrets. Meta signs no timestamp, so
 * replays are stopped by dedup on the message id in the handler; `toleranceSec` is ignored.
 *
 * @example
 * const result = await verifyMetaSignature({ rawBody, headers: req.headers, secrets: [{ id: "META_APP_SECRET", value }], now: Date.now() });
 */
export function verifyMetaSignature(input: VerifyInput): Promise<VerifyResult> {
  return verifyHubSignature(input);
}

export interface MetaHandshakeInput {
  /** The GET request's query string. */
  query: URLSearchParams;
  /** The verify tokens configured in the Meta app dashboard; several for rotation. */
  verifyTokens: readonly Secret[];
}

export type MetaHandshakeResult =
  | { ok: true; challenge: string }
  | { ok: false; reason: "missing_param" | "bad_mode" | "bad_verify_token" | "no_secret" };

/**
 * Checks the subscription handshake. Synchronous on purpose: it does no crypto.subtle work, so a
 * handler may call it with or without `await`. Every configured token is compared (no early exit),
 * in constant time.
 *
 * @example
 * const result = checkMetaHandshake({ query: new URL(req.url).searchParams, verifyTokens: [{ id: "META_VERIFY_TOKEN", value }] });
 * return result.ok ? c.text(result.challenge) : c.text("forbidden", 403);
 */
export function checkMetaHandshake(input: MetaHandshakeInput): MetaHandshakeResult {
  const tokens = usableSecrets(input.verifyTokens);
  if (tokens.length === 0) return { ok: false, reason: "no_secret" };
  const mode = input.query.get("hub.mode");
  const token = input.query.get("hub.verify_token");
  const challenge = input.query.get("hub.challenge");
  if (!mode || !token || !challenge) return { ok: false, reason: "missing_param" };
  if (mode !== "subscribe") return { ok: false, reason: "bad_mode" };
  let matched = false;
  for (const expected of tokens) matched = timingSafeEqualText(token, expected.value) || matched;
  return matched ? { ok: true, challenge } : { ok: false, reason: "bad_verify_token" };
}
