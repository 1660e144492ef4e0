import { z } from "zod";
import type { InboundEvent } from "../../core/inbound-event.ts";

export const CommandSchema = z.object({
  /** Lowercase, without the slash. */
  name: z.string(),
  /** The `@username` the command was addressed to, if any. */
  bot: z.string().nullable(),
  /** The text after the command, trimmed. */
  args: z.string(),
});
export type Command = z.infer<typeof CommandSchema>;

// Telegram: a command is "/" and up to 32 letters, digits or _, optionally "@botusername", at offset 0.
// https://core.telegram.org/bots/features#commands
const SLASH = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+|$)/;
const WORD = /^\/?([A-Za-z0-9_]{1,32})(?:\s+|$)/;

/**
 * Parses a bot command at the start of a message. With `botUsername`, a command addressed to another bot
 * (`/ask@OtherBot` in a group) is not ours and gives null.
 *
 * @example
 * commandOf("/ask@MyBot what is CEL?", { botUsername: "mybot" }); // { name: "ask", bot: "MyBot", args: "what is CEL?" }
 * commandOf("/ask@OtherBot hi", { botUsername: "MyBot" }); // null
 */
export function commandOf(text: string | undefined, opts: { botUsername?: string } = {}): Command | null {
  const m = text === undefined ? null : SLASH.exec(text);
  if (!m || text === undefined) return null;
  const bot = m[2] ?? null;
  if (bot && opts.botUsername && bot.toLowerCase() !== opts.botUsername.replace(/^@/, "").toLowerCase()) {
    return null;
  }
  return { name: (m[1] ?? "").toLowerCase(), bot, args: text.slice(m[0].length).trim() };
}

/**
 * WhatsApp has no slash commands, so a command is the message's first word (a typed slash is tolerated).
 *
 * @example wordCommandOf("Stop please"); // { name: "stop", bot: null, args: "please" }
 */
export function wordCommandOf(text: string | undefined): Command | null {
  const trimmed = text?.trimStart();
  const m = trimmed === undefined ? null : WORD.exec(trimmed);
  if (!m || trimmed === undefined) return null;
  return { name: (m[1] ?? "").toLowerCase(), bot: null, args: trimmed.slice(m[0].length).trim() };
}

/**
 * The command an event carries, by its channel's convention.
 *
 * @example commandOfEvent(whatsAppEvent("status"))?.name; // "status"
 */
export function commandOfEvent(event: InboundEvent, opts: { botUsername?: string } = {}): Command | null {
  return event.channel === "whatsapp" ? wordCommandOf(event.text) : commandOf(event.text, opts);
}

/** "/ask", "ask" and "/ASK" all name the command "ask". */
export function commandName(configured: string): string {
  return configured.replace(/^\//, "").toLowerCase();
}
