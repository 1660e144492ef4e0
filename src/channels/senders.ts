import type { Source } from "../config/schema.ts";
import type { Env } from "../env.ts";
import { createTelegramSender } from "./telegram.ts";
import type { ChatButton, ChatSender } from "./types.ts";
import { createWhatsAppSender } from "./whatsapp.ts";

export interface ChatAction {
  buttons?: ChatButton[];
  /** Show "typing…" instead of sending text. */
  typing?: boolean;
  /** Answer a button press (Telegram callback query) instead of sending text. */
  answerButton?: { id: string; text?: string };
  /** Mark an inbound message read (WhatsApp), with the typing indicator if `typing` is also set. */
  markRead?: string;
}

function secret(env: Env, name: string | undefined): string | undefined {
  const value = name ? env[name] : undefined;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The outbound side of a chat source, for one chat target (Telegram: chat id; WhatsApp:
 * `<phone_number_id>/<wa_id>`). Undefined when the source has no token configured: the run still works,
 * its replies are recorded as events, and a warning says which env var to set.
 */
export function chatSenderFor(
  env: Env,
  source: Source,
  target: string,
): { sender: ChatSender; chatId: string } | undefined {
  if (source.channel === "telegram") {
    const token = secret(env, source.botTokenEnv);
    if (!token) {
      console.warn(`telegram replies are off: set ${source.botTokenEnv ?? "botTokenEnv"} to the bot token`);
      return undefined;
    }
    const apiRoot = secret(env, source.apiRootEnv) ?? source.apiRoot;
    return { sender: createTelegramSender({ token, apiRoot }), chatId: target };
  }
  if (source.channel === "whatsapp") {
    const accessToken = secret(env, source.accessTokenEnv);
    const [phoneNumberId, to] = target.split("/");
    if (!accessToken || !phoneNumberId || !to) {
      if (!accessToken)
        console.warn(`whatsapp replies are off: set ${source.accessTokenEnv ?? "accessTokenEnv"}`);
      return undefined;
    }
    return {
      sender: createWhatsAppSender({
        accessToken,
        phoneNumberId,
        baseUrl: secret(env, source.graphBaseUrlEnv) ?? source.graphBaseUrl,
        accessTokenEnv: source.accessTokenEnv,
        version: source.graphVersion,
      }),
      chatId: to,
    };
  }
  return undefined;
}

/** Sends text (or typing, or a button answer) to a chat. */
export async function sendToChat(
  env: Env,
  source: Source,
  target: string,
  text: string | null,
  action: ChatAction = {},
): Promise<void> {
  const found = chatSenderFor(env, source, target || "0/0");
  if (!found) return;
  const { sender, chatId } = found;
  if (action.answerButton) return sender.answerButton?.(action.answerButton.id, action.answerButton.text);
  if (action.markRead) {
    // WhatsApp ties "typing…" to a read receipt of the message being answered.
    const wa = sender as ChatSender & { markReadTyping?: (id: string) => Promise<void> };
    if (action.typing && wa.markReadTyping) return wa.markReadTyping(action.markRead);
    return sender.markRead?.(action.markRead);
  }
  if (action.typing) return sender.typing?.(chatId);
  if (text !== null)
    await sender.sendText(chatId, text, action.buttons ? { buttons: action.buttons } : undefined);
}
