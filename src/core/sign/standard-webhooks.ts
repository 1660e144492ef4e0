import { concatBytes, toBase64, utf8 } from "../verify/encoding.ts";
import { hmacSha256 } from "../verify/hmac.ts";
import { standardWebhooksKey } from "../verify/standard-webhooks.ts";
import type { SignInput } from "./types.ts";

/**
 * The three Standard Webhooks headers for a message
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 * `webhook-id` is `id` or a random `msg_…`. Throws when the secret is not `whsec_<base64>`.
 *
 * @example await signStandardWebhooks({ rawBody, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", now: Date.now() })
 * // { "webhook-id": "msg_…", "webhook-timestamp": "1700000000", "webhook-signature": "v1,…" }
 */
export async function signStandardWebhooks(input: SignInput): Promise<Record<string, string>> {
  const key = standardWebhooksKey(input.secret);
  if (!key) throw new Error("Standard Webhooks secret must be base64, optionally prefixed with whsec_");
  const id = input.id ?? `msg_${crypto.randomUUID().replaceAll("-", "")}`;
  const timestamp = String(Math.floor(input.now / 1000));
  const mac = await hmacSha256(key, concatBytes(utf8(`${id}.${timestamp}.`), input.rawBody));
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${toBase64(mac)}` };
}
