import type { Source } from "../config/schema.ts";
import { type Secrets, secretOf } from "../core/secrets.ts";
import { createTelegramSender } from "./telegram.ts";
import type { ChatSender } from "./types.ts";
import { createWhatsAppSender } from "./whatsapp.ts";

/** A sender bound to one chat: the channel's sender and the chat id it addresses. */
export interface ChatTarget {
  sender: ChatSender;
  chatId: string;
}

type ChatSource<C extends Source["channel"]> = Extract<Source, { channel: C }>;
type SenderFactory<C extends Source["channel"]> = (
  source: ChatSource<C>,
  secrets: Secrets,
  target: string,
) => ChatTarget | undefined;

/**
 * One factory per channel that can answer, in the manner of grammY's framework adapters: adding a channel
 * is one entry here. Each returns undefined when the source has no token configured: the run still works,
 * its replies are recorded as events, and a warning says which env var to set.
 */
const senders: { [C in Exclude<Source["channel"], "generic">]: SenderFactory<C> } = {
  telegram(source, secrets, target) {
    const token = secretOf(secrets, source.botTokenEnv);
    if (!token) {
      console.warn(`telegram replies are off: set ${source.botTokenEnv ?? "botTokenEnv"} to the bot token`);
      return undefined;
    }
    const apiRoot = secretOf(secrets, source.apiRootEnv) ?? source.apiRoot;
    return { sender: createTelegramSender({ token, apiRoot }), chatId: target };
  },
  whatsapp(source, secrets, target) {
    const accessToken = secretOf(secrets, source.accessTokenEnv);
    // A WhatsApp chat target is `<phone_number_id>/<wa_id>`: a reply needs both.
    const [phoneNumberId, to] = target.split("/");
    if (!accessToken) {
      console.warn(`whatsapp replies are off: set ${source.accessTokenEnv ?? "accessTokenEnv"}`);
      return undefined;
    }
    if (!phoneNumberId || !to) return undefined;
    const sender = createWhatsAppSender({
      accessToken,
      phoneNumberId,
      baseUrl: secretOf(secrets, source.graphBaseUrlEnv) ?? source.graphBaseUrl,
      accessTokenEnv: source.accessTokenEnv,
      version: source.graphVersion,
    });
    return { sender, chatId: to };
  },
};

/**
 * The outbound side of a chat source for one chat target (Telegram: chat id; WhatsApp:
 * `<phone_number_id>/<wa_id>`), or undefined for generic sources and unconfigured tokens.
 *
 * @example
 * const chat = chatSenderFor(res.secrets, source, "42");
 * await chat?.sender.sendText(chat.chatId, "hello");
 */
export function chatSenderFor(secrets: Secrets, source: Source, target: string): ChatTarget | undefined {
  if (source.channel === "generic") return undefined;
  const factory = senders[source.channel] as SenderFactory<typeof source.channel>;
  return factory(source, secrets, target);
}
