import { toHex } from "../verify/encoding.ts";
import { hmacSha256 } from "../verify/hmac.ts";
import type { SignInput } from "./types.ts";

/**
 * Headers Meta would send for an event notification signed with the app secret
 * (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications).
 * Meta has no delivery id header; dedup uses ids inside the payload, so `id` is ignored.
 *
 * @example await signMeta({ rawBody, secret: "app-secret", now: Date.now() })
 * // { "X-Hub-Signature-256": "sha256=…" }
 */
export async function signMeta(input: SignInput): Promise<Record<string, string>> {
  return { "X-Hub-Signature-256": `sha256=${toHex(await hmacSha256(input.secret, input.rawBody))}` };
}
