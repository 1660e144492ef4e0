/**
 * Stripe webhooks: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]`. The signed payload is
 * `${t}.${raw body}`, MAC'd with HMAC-SHA256 keyed by the endpoint secret string *including* its
 * `whsec_` prefix (unlike Standard Webhooks, the secret is not base64-decoded).
 * https://docs.stripe.com/webhooks#verify-manually
 */

import { concatBytes, toHex, utf8 } from "./encoding.ts";
import { hmacSha256 } from "./hmac.ts";
import { firstMatch, usableSecrets } from "./secrets.ts";
import { timestampProblem } from "./timestamp.ts";
import { timingSafeEqualText } from "./timing-safe.ts";
import type { VerifyInput, VerifyResult } from "./types.ts";

const HEADER = "Stripe-Signature";
/** Stripe's libraries default to 300 s. They only reject old timestamps; we also reject future ones. */
const DEFAULT_TOLERANCE_SEC = 300;

/** The single `t` and every `v1` value, or `undefined` when the header lacks either. */
function parseStripeHeader(header: string): { t: string; v1: string[] } | undefined {
  let t: string | undefined;
  const v1: string[] = [];
  for (const item of header.split(",")) {
    const eq = item.indexOf("=");
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    // Two timestamps would make it ambiguous which one the signature covers.
    if (key === "t") {
      if (t !== undefined) return undefined;
      t = value;
    } else if (key === "v1") {
      v1.push(value.toLowerCase());
    }
    // v0 is Stripe's test-mode legacy scheme and other keys are future schemes: ignored, as Stripe's SDKs do.
  }
  return t !== undefined && v1.length > 0 ? { t, v1 } : undefined;
}

/**
 * Verifies a Stripe event delivery.
 *
 * @example
 * const result = await verifyStripe({ rawBody, headers: req.headers, secrets: [{ id: "STRIPE_WEBHOOK_SECRET", value: "whsec_…" }], now: Date.now() });
 */
export async function verifyStripe(input: VerifyInput): Promise<VerifyResult> {
  const secrets = usableSecrets(input.secrets);
  if (secrets.length === 0) return { ok: false, reason: "no_secret" };
  const header = input.headers.get(HEADER);
  if (!header) return { ok: false, reason: "missing_header" };
  const parsed = parseStripeHeader(header);
  if (!parsed) return { ok: false, reason: "malformed_header" };
  const problem = timestampProblem(parsed.t, input.now, input.toleranceSec, DEFAULT_TOLERANCE_SEC);
  if (problem) return { ok: false, reason: problem };
  const content = concatBytes(utf8(`${parsed.t}.`), input.rawBody);
  return firstMatch(secrets, async (secret) => {
    const expected = toHex(await hmacSha256(secret.value, content));
    let matched = false;
    for (const given of parsed.v1) matched = timingSafeEqualText(given, expected) || matched;
    return matched ? "match" : "no_match";
  });
}
