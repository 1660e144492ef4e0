import { parseArgs } from "node:util";
import type { Update } from "grammy/types";
import type { Api } from "grammy/web";
import { createTelegramSender, type TelegramSender } from "../channels/telegram.ts";
import { ChannelError } from "../channels/types.ts";
import type { HooklineConfig } from "../config/schema.ts";
import { secretValue } from "./dev-vars.ts";
import { CliError, loadFromDisk } from "./load.ts";
import { routeOf } from "./sign.ts";

type UpdateType = Exclude<keyof Update, "update_id">;
type TelegramSourceConfig = Extract<HooklineConfig["sources"][string], { channel: "telegram" }>;

export interface TelegramCliOptions {
  /** The project root (hookline.yaml, .dev.vars). */
  root: string;
  /** The telegram source's name in hookline.yaml. */
  bot: string;
  /** HOOKLINE_ENV overlay to merge. */
  env?: string;
  /** Overrides the source's apiRoot (tests). */
  apiRoot?: string;
  fetch?: typeof fetch;
}

export interface SetWebhookOptions extends TelegramCliOptions {
  /** The public base URL Hookline is reachable at; the bot's route is appended. */
  url: string;
  dropPending?: boolean;
}

/** Telegram's rule for secret_token: 1–256 of A-Z a-z 0-9 _ -. */
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/** `demo-bot` → `TELEGRAM_DEMO_BOT_BOT_TOKEN`, the fallback when the source names no botTokenEnv. */
export function defaultBotTokenEnv(bot: string): string {
  return `TELEGRAM_${bot.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()}_BOT_TOKEN`;
}

interface Bot {
  source: TelegramSourceConfig;
  sender: TelegramSender;
}

function openBot(opts: TelegramCliOptions): Bot {
  const config = loadFromDisk(opts.root, opts.env);
  const source = config.sources[opts.bot];
  if (source?.channel !== "telegram") {
    const bots = Object.entries(config.sources).flatMap(([name, s]) =>
      s.channel === "telegram" ? [name] : [],
    );
    const what = source
      ? `"${opts.bot}" is a ${source.channel} source`
      : `no source "${opts.bot}" in hookline.yaml`;
    throw new CliError(`${what}; telegram bots: ${bots.join(", ") || "(none)"}`);
  }
  const tokenEnv = source.botTokenEnv ?? defaultBotTokenEnv(opts.bot);
  const token = secretValue(opts.root, tokenEnv);
  if (!token) {
    const rename = source.botTokenEnv ? "" : ` (or name another variable in sources.${opts.bot}.botTokenEnv)`;
    throw new CliError(
      `${tokenEnv} is not set: put the bot token from @BotFather in .dev.vars or the env${rename}`,
    );
  }
  const apiRoot = opts.apiRoot ?? source.apiRoot;
  return {
    source,
    sender: createTelegramSender({ token, apiRoot, ...(opts.fetch ? { fetch: opts.fetch } : {}) }),
  };
}

/** Telegram's errors already say what is wrong ("bad webhook: HTTPS url must be provided"). */
async function run<T>(sender: TelegramSender, method: string, call: (api: Api) => Promise<T>): Promise<T> {
  try {
    return await sender.call(method, call);
  } catch (error) {
    if (error instanceof ChannelError) throw new CliError(error.message);
    throw error;
  }
}

/** The update types a source's config needs: edits only when `chat.editedMessages` is on. */
export function allowedUpdates(source: TelegramSourceConfig): UpdateType[] {
  return ["message", ...(source.chat.editedMessages ? (["edited_message"] as const) : []), "callback_query"];
}

/**
 * Points the bot's webhook at Hookline: `<url>/webhooks/telegram/<bot>`, with the source's first
 * `secretEnv` as `secret_token` (Hookline checks it on every delivery) and only the updates it handles.
 *
 * @example
 * await setTelegramWebhook({ root: ".", bot: "demo-bot", url: "https://abc.trycloudflare.com" });
 */
export async function setTelegramWebhook(opts: SetWebhookOptions): Promise<string> {
  const { source, sender } = openBot(opts);
  const secretEnv = source.secretEnv[0] as string;
  const secret = secretValue(opts.root, secretEnv);
  if (!secret)
    throw new CliError(`${secretEnv} is not set: add it to .dev.vars (npm start creates one) or the env`);
  if (!SECRET_TOKEN.test(secret)) {
    throw new CliError(`${secretEnv} must be 1-256 of A-Z a-z 0-9 _ - for Telegram's secret_token`);
  }
  const url = webhookUrl(opts.url, routeOf("telegram", opts.bot));
  const allowed = allowedUpdates(source);
  await run(sender, "setWebhook", (api) =>
    api.setWebhook(url, {
      secret_token: secret,
      allowed_updates: allowed,
      drop_pending_updates: opts.dropPending ?? false,
    }),
  );
  const dropped = opts.dropPending ? ", pending updates dropped" : "";
  return `webhook set: ${url} (updates: ${allowed.join(", ")}${dropped})`;
}

function webhookUrl(base: string, route: string): string {
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw new CliError(`--url "${base}" is not a URL; give the public https URL Hookline is reachable at`);
  }
  if (parsed.protocol !== "https:")
    throw new CliError(`--url must be https: Telegram only delivers webhooks over TLS`);
  const trimmed = parsed.href.replace(/\/+$/, "");
  return trimmed.endsWith(route) ? trimmed : `${trimmed}${route}`;
}

/** The webhook's state as Telegram sees it, one field a line, dates in ISO 8601. */
export async function telegramWebhookInfo(opts: TelegramCliOptions): Promise<string> {
  const { sender } = openBot(opts);
  const info = await run(sender, "getWebhookInfo", (api) => api.getWebhookInfo());
  const iso = (seconds: number | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : "-");
  return [
    `url:                  ${info.url || "(none: no webhook set)"}`,
    `pending_update_count: ${info.pending_update_count}`,
    `last_error_date:      ${iso(info.last_error_date)}`,
    `last_error_message:   ${info.last_error_message ?? "-"}`,
    `allowed_updates:      ${info.allowed_updates?.join(", ") ?? "(all except chat_member, message_reaction…)"}`,
  ].join("\n");
}

export const TELEGRAM_USAGE = `  telegram set-webhook --bot <source> --url <public https url>
       [--drop-pending] [--env <HOOKLINE_ENV>]   Point the bot at /webhooks/telegram/<source> with its secret_token
  telegram webhook-info --bot <source> [--env <HOOKLINE_ENV>]
                                          Show the bot's webhook URL, pending updates and last delivery error`;

/** `hookline telegram <set-webhook|webhook-info> …`; prints the result and returns the exit code. */
export async function telegramCommand(root: string, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      bot: { type: "string" },
      url: { type: "string" },
      env: { type: "string" },
      "drop-pending": { type: "boolean", default: false },
    },
  });
  if (!values.bot) throw new CliError(`telegram ${sub ?? ""} needs --bot <source>\n\n${TELEGRAM_USAGE}`);
  const common = { root, bot: values.bot, env: values.env ?? process.env.HOOKLINE_ENV };
  if (sub === "set-webhook") {
    if (!values.url)
      throw new CliError(`telegram set-webhook needs --url <public https url>\n\n${TELEGRAM_USAGE}`);
    console.log(
      await setTelegramWebhook({ ...common, url: values.url, dropPending: values["drop-pending"] }),
    );
    return 0;
  }
  if (sub === "webhook-info") {
    console.log(await telegramWebhookInfo(common));
    return 0;
  }
  throw new CliError(`unknown telegram command "${sub ?? ""}"\n\n${TELEGRAM_USAGE}`);
}
