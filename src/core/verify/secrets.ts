/** Secret rotation: every verifier accepts a list and reports which entry matched. */

import type { Secret, VerifyResult } from "./types.ts";

/**
 * Drops secrets that are not configured. A handler typically builds `{ id, value: env[id] }`, so an
 * unset binding arrives as `undefined` or `""`; using it as a key would make an empty (or the literal
 * "undefined") HMAC key that anyone can sign with. Filtering here is what makes the verifiers fail closed.
 *
 * @example usableSecrets([{ id: "OLD", value: "" }, { id: "NEW", value: "s3cret" }]) // [{ id: "NEW", … }]
 */
export function usableSecrets(secrets: readonly Secret[]): Secret[] {
  return secrets.filter((secret) => typeof secret.value === "string" && secret.value !== "");
}

/** What one secret said about a delivery: it matched, it did not, or it cannot be used as a key. */
export type SecretCheck = "match" | "no_match" | "bad_secret";

/**
 * Tries each secret in order and returns the first that matches. `bad_secret` is reported only
 * when nothing matched, so one misconfigured old key never blocks deliveries signed with a good one.
 *
 * @example await firstMatch(secrets, async (s) => ((await mac(s.value)) === given ? "match" : "no_match"))
 */
export async function firstMatch(
  secrets: readonly Secret[],
  check: (secret: Secret) => Promise<SecretCheck> | SecretCheck,
): Promise<VerifyResult> {
  let sawBadSecret = false;
  for (const secret of secrets) {
    const outcome = await check(secret);
    if (outcome === "match") return { ok: true, keyId: secret.id };
    if (outcome === "bad_secret") sawBadSecret = true;
  }
  return { ok: false, reason: sawBadSecret ? "bad_secret" : "bad_signature" };
}
