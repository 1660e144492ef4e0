/**
 * Telegram Bot API: the `secret_token` given to `setWebhook` comes back verbatim in
 * `X-Telegram-Bot-Api-Secret-Token` (https://core.telegram.org/bots/api#setwebhook).
 * It is a shared token, not a signature: there is no body MAC and no timestamp.
 */

import { firstMatch, usableSecrets } from "./secrets.ts";
import { timingSafeEqualText } from "./timing-safe.ts";
import type { VerifyInput, VerifyResult } from "./types.ts";

const HEADER = "X-Telegram-Bot-Api-Secret-Token";

/**
 * Verifies a Telegram update by comparing the header with each secret in constant time
 * (as grammY's `webhookCallback` does). `rawBody`, `now` and `toleranceSec` are unused.
 *
 * @example
 * const result = await verifyTelegram({ rawBody, headers: req.headers, secrets: [{ id: "TELEGRAM_SECRET", value }], now: Date.now() });
 */
export async function verifyTelegram(input: VerifyInput): Promise<VerifyResult> {
  const secrets = usableSecrets(input.secrets);
  if (secrets.length === 0) return { ok: false, reason: "no_secret" };
  const given = input.headers.get(HEADER);
  if (!given) return { ok: false, reason: "missing_header" };
  return firstMatch(secrets, (secret) => (timingSafeEqualText(given, secret.value) ? "match" : "no_match"));
}
