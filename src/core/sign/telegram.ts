import type { SignInput } from "./types.ts";

/**
 * Headers Telegram would send for a webhook registered with `secret_token: secret`
 * (https://core.telegram.org/bots/api#setwebhook). The token is not a MAC, so the body is not involved.
 *
 * @example await signTelegram({ rawBody, secret: "tg-secret", now: Date.now() })
 * // { "X-Telegram-Bot-Api-Secret-Token": "tg-secret" }
 */
export async function signTelegram(input: SignInput): Promise<Record<string, string>> {
  return { "X-Telegram-Bot-Api-Secret-Token": input.secret };
}
