import { concatBytes, toHex, utf8 } from "../verify/encoding.ts";
import { hmacSha256 } from "../verify/hmac.ts";
import type { SignInput } from "./types.ts";

/**
 * The `Stripe-Signature` header Stripe would send: `t=<unix seconds>,v1=<hex>`, keyed with the
 * `whsec_…` string itself (https://docs.stripe.com/webhooks#verify-manually). Stripe's event id
 * travels in the body, so `id` is ignored.
 *
 * @example await signStripe({ rawBody, secret: "whsec_test", now: Date.now() })
 * // { "Stripe-Signature": "t=1700000000,v1=…" }
 */
export async function signStripe(input: SignInput): Promise<Record<string, string>> {
  const t = Math.floor(input.now / 1000);
  const mac = await hmacSha256(input.secret, concatBytes(utf8(`${t}.`), input.rawBody));
  return { "Stripe-Signature": `t=${t},v1=${toHex(mac)}` };
}
