import { TelegramUpdate } from "../../core/inbound/telegram.ts";
import type { InboundEvent } from "../../core/inbound-event.ts";

/**
 * The chat an event came from, as a string, for `match.chats` lists: a Telegram update's chat (group ids
 * are negative), a WhatsApp sender's number (every WhatsApp chat is one-to-one), null for generic sources.
 *
 * @example chatIdOf(telegramEvent({ chat: -100123 })); // "-100123"
 */
export function chatIdOf(event: InboundEvent): string | null {
  if (event.channel === "whatsapp") return event.sender?.id ?? null;
  if (event.channel !== "telegram") return null;
  const parsed = TelegramUpdate.safeParse(event.payload);
  if (!parsed.success) return null;
  const u = parsed.data;
  const message = u.message ?? u.edited_message ?? u.channel_post ?? u.callback_query?.message;
  return message ? String(message.chat.id) : null;
}
