/**
 * GitHub webhooks: `X-Hub-Signature-256` over the raw body, keyed with the webhook secret string.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 * GitHub signs no timestamp, so replays are stopped by dedup on `X-GitHub-Delivery` in the handler.
 */

import { verifyHubSignature } from "./hub-signature.ts";
import type { VerifyInput, VerifyResult } from "./types.ts";

/**
 * Verifies a GitHub delivery. `toleranceSec` is ignored: the scheme has no timestamp.
 *
 * @example
 * const result = await verifyGithub({ rawBody, headers: req.headers, secrets: [{ id: "GITHUB_WEBHOOK_SECRET", value }], now: Date.now() });
 * if (!result.ok) return c.text(result.reason, 401);
 */
export function verifyGithub(input: VerifyInput): Promise<VerifyResult> {
  return verifyHubSignature(input);
}
