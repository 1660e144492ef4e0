/**
 * Standard Webhooks (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
 * also what Svix sends. Signed content is `${webhook-id}.${webhook-timestamp}.${raw body}`, MAC'd with
 * HMAC-SHA256 under the base64-decoded `whsec_` secret; `webhook-signature` is a space-separated list
 * of `version,signature` pairs so senders can rotate keys, and any `v1` entry may match.
 */

import { concatBytes, fromBase64, toBase64, utf8 } from "./encoding.ts";
import { hmacSha256 } from "./hmac.ts";
import { firstMatch, usableSecrets } from "./secrets.ts";
import { timestampProblem } from "./timestamp.ts";
import { timingSafeEqualText } from "./timing-safe.ts";
import type { VerifyInput, VerifyResult } from "./types.ts";

/** The spec's recommended replay window, applied both past and future. */
const DEFAULT_TOLERANCE_SEC = 300;
const SECRET_PREFIX = "whsec_";

/**
 * Svix's own SDK sends `svix-*` headers; the spec's `webhook-*` names win when both are present,
 * matching the svix library's fallback order.
 */
function header(headers: Headers, name: "id" | "timestamp" | "signature"): string | null {
  return headers.get(`webhook-${name}`) || headers.get(`svix-${name}`);
}

/**
 * The HMAC key for a `whsec_<base64>` secret (the prefix is optional), or `undefined` when the
 * secret is not base64 or decodes to nothing.
 *
 * @example standardWebhooksKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") // 24 bytes
 */
export function standardWebhooksKey(secret: string): Uint8Array | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = fromBase64(encoded);
  return key && key.length > 0 ? key : undefined;
}

/**
 * Verifies a Standard Webhooks delivery. Entries with other versions (e.g. `v1a` ed25519) are
 * skipped, so a header with no `v1` entry is `bad_signature`, as in the reference library.
 *
 * @example
 * const result = await verifyStandardWebhooks({ rawBody, headers: req.headers, secrets: [{ id: "SRC_SECRET", value: "whsec_…" }], now: Date.now() });
 */
export async function verifyStandardWebhooks(input: VerifyInput): Promise<VerifyResult> {
  const secrets = usableSecrets(input.secrets);
  if (secrets.length === 0) return { ok: false, reason: "no_secret" };
  const id = header(input.headers, "id");
  const timestamp = header(input.headers, "timestamp");
  const signature = header(input.headers, "signature");
  if (!id || !timestamp || !signature) return { ok: false, reason: "missing_header" };
  const problem = timestampProblem(timestamp, input.now, input.toleranceSec, DEFAULT_TOLERANCE_SEC);
  if (problem) return { ok: false, reason: problem };
  const candidates = signature
    .split(" ")
    .filter((entry) => entry.startsWith("v1,"))
    .map((entry) => entry.slice(3));
  const content = concatBytes(utf8(`${id}.${timestamp}.`), input.rawBody);
  return firstMatch(secrets, async (secret) => {
    const key = standardWebhooksKey(secret.value);
    if (!key) return "bad_secret";
    const expected = toBase64(await hmacSha256(key, content));
    let matched = false;
    for (const given of candidates) matched = timingSafeEqualText(given, expected) || matched;
    return matched ? "match" : "no_match";
  });
}
