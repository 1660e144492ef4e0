/**
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`, shared by GitHub and Meta
 * (both descend from PubSubHubbub's `X-Hub-Signature`). The key is the secret string as UTF-8.
 */

import { toHex } from "./encoding.ts";
import { hmacSha256 } from "./hmac.ts";
import { firstMatch, usableSecrets } from "./secrets.ts";
import { timingSafeEqualText } from "./timing-safe.ts";
import type { VerifyInput, VerifyResult } from "./types.ts";

const HEADER = "X-Hub-Signature-256";
const SHA256_HEX = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Verifies a hub-style signature. The legacy SHA-1 `X-Hub-Signature` is ignored on purpose:
 * GitHub and Meta both send the SHA-256 header, and accepting SHA-1 would only weaken the check.
 *
 * @example await verifyHubSignature({ rawBody, headers, secrets: [{ id: "GH", value: "s" }], now: Date.now() })
 */
export async function verifyHubSignature(input: VerifyInput): Promise<VerifyResult> {
  const secrets = usableSecrets(input.secrets);
  if (secrets.length === 0) return { ok: false, reason: "no_secret" };
  const header = input.headers.get(HEADER);
  if (!header) return { ok: false, reason: "missing_header" };
  const given = SHA256_HEX.exec(header.trim())?.[1]?.toLowerCase();
  if (given === undefined) return { ok: false, reason: "malformed_header" };
  return firstMatch(secrets, async (secret) => {
    const expected = toHex(await hmacSha256(secret.value, input.rawBody));
    return timingSafeEqualText(given, expected) ? "match" : "no_match";
  });
}
