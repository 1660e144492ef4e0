import { toHex } from "../verify/encoding.ts";
import { hmacSha256 } from "../verify/hmac.ts";
import type { SignInput } from "./types.ts";

/**
 * Headers GitHub would send for a delivery: the signature and `X-GitHub-Delivery` (the dedup key;
 * `id` or a random UUID, as GitHub uses). `X-GitHub-Event` is deliberately not set: it names the
 * payload's shape, which only the caller knows, so add it to the request yourself when it matters.
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
 *
 * @example await signGithub({ rawBody, secret: "gh-secret", now: Date.now(), id: "72d3162e-…" })
 * // { "X-Hub-Signature-256": "sha256=…", "X-GitHub-Delivery": "72d3162e-…" }
 */
export async function signGithub(input: SignInput): Promise<Record<string, string>> {
  return {
    "X-Hub-Signature-256": `sha256=${toHex(await hmacSha256(input.secret, input.rawBody))}`,
    "X-GitHub-Delivery": input.id ?? crypto.randomUUID(),
  };
}
