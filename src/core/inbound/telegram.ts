import { z } from "zod";
import type { InboundEvent } from "../inbound-event.ts";

const User = z.looseObject({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});
const Chat = z.looseObject({ id: z.number().int(), type: z.string() });
const Message = z.looseObject({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: Chat,
  from: User.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
});

/**
 * The part of a Bot API `Update` Hookline reads; everything else is kept in `payload` untouched.
 * https://core.telegram.org/bots/api#update — exactly one optional field is present per update.
 */
export const TelegramUpdate = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: Message.optional(),
  edited_message: Message.optional(),
  channel_post: Message.optional(),
  callback_query: z
    .looseObject({ id: z.string(), from: User, message: Message.optional(), data: z.string().optional() })
    .optional(),
});
export type TelegramUpdate = z.infer<typeof TelegramUpdate>;

function displayName(user: z.infer<typeof User>): string | undefined {
  const full = [user.first_name, user.last_name].filter(Boolean).join(" ");
  return full || user.username;
}

/**
 * Normalizes one update. The dedup key is the bot's `update_id`, which Telegram reuses on every retry.
 *
 * @example normalizeTelegram("demo-bot", update, new Date().toISOString())
 */
export function normalizeTelegram(source: string, update: TelegramUpdate, receivedAt: string): InboundEvent {
  const message =
    update.message ?? update.edited_message ?? update.channel_post ?? update.callback_query?.message;
  const from = update.callback_query?.from ?? message?.from;
  const chatKey = message ? `chat:${message.chat.id}` : from ? `user:${from.id}` : "bot";
  return {
    kind: "message",
    channel: "telegram",
    source,
    deliveryKey: `${source}:${update.update_id}`,
    sessionKey: `tg:${source}:${chatKey}`,
    sender: from ? { id: String(from.id), name: displayName(from) } : undefined,
    text: update.callback_query?.data ?? message?.text ?? message?.caption,
    payload: update,
    receivedAt,
  };
}
