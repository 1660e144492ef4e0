/**
 * The baseline for `npm run bench:chat` (bench/chat.ts): a plain grammY bot that answers every message, behind
 * `webhookCallback(bot, "cloudflare-mod", { secretToken })`. `botInfo` is given so grammY never calls getMe;
 * its API root points at the same fake Bot API as Hookline's (TELEGRAM_API_ROOT). It answers inside the webhook
 * request: no dedup, no durable record, no queue, no run.
 */
import { Bot, webhookCallback } from "grammy";

interface Env {
  BOT_TOKEN: string;
  TELEGRAM_API_ROOT: string;
  SECRET_TOKEN: string;
}

let handleUpdate: ((request: Request) => Promise<Response>) | undefined;

/** The bot is built on the first request: a module-scope Worker cannot read its env bindings. */
function makeHandler(env: Env): (request: Request) => Promise<Response> {
  const bot = new Bot(env.BOT_TOKEN, {
    botInfo: {
      id: 654321,
      is_bot: true,
      first_name: "Bench",
      username: "bench_grammy_bot",
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
    client: { apiRoot: env.TELEGRAM_API_ROOT },
  });
  bot.on("message", (ctx) => ctx.reply(`echo: ${ctx.message.text ?? ""}`));
  return webhookCallback(bot, "cloudflare-mod", { secretToken: env.SECRET_TOKEN });
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    handleUpdate ??= makeHandler(env);
    return handleUpdate(request);
  },
};
