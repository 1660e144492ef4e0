/**
 * Baseline 2 for `npm run bench`: a plain grammY bot behind `webhookCallback(bot, "cloudflare-mod")`, with a
 * handler that does nothing. It checks the secret token (as Telegram's setWebhook secret_token asks), parses
 * the update and routes it; no dedup, no durability. `botInfo` is given so grammY never calls getMe.
 */
import { Bot, webhookCallback } from "grammy";

/** Must match TELEGRAM_DEMO_SECRET_TOKEN in test/fixtures/secrets.ts, which the bench signs with. */
const SECRET_TOKEN = "tg-secret-token-QW9pZ2h0";

const bot = new Bot("123456:bench-token-never-used", {
  botInfo: {
    id: 123456,
    is_bot: true,
    first_name: "Bench",
    username: "bench_bot",
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  },
});
bot.on("message", () => {});

const handleUpdate = webhookCallback(bot, "cloudflare-mod", { secretToken: SECRET_TOKEN });

export default {
  fetch: (request: Request) => handleUpdate(request),
};
