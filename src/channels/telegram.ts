import type { InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters } from "grammy/types";
import { Api } from "grammy/web";
import { splitMessage } from "./split.ts";
import { isNotModified, retryAfterSeconds, telegramFetch, toChannelError } from "./telegram-errors.ts";
import {
  ChannelError,
  type ChatButton,
  type ChatSender,
  type SendOptions,
  type SentMessage,
} from "./types.ts";

/** Telegram's limit for one message's text, in UTF-16 code units after entity parsing. */
export const TELEGRAM_MAX_CHARS = 4096;
/** The default per-call timeout; a Bot API call normally answers within a second. */
export const TELEGRAM_TIMEOUT_SECONDS = 30;
/** callback_data is 1–64 bytes. */
const MAX_CALLBACK_DATA_BYTES = 64;

export interface TelegramSenderOptions {
  /** The bot token from @BotFather. Never appears in thrown errors. */
  token: string;
  /** Bot API root; tests and self-hosted Bot API servers change it. Default https://api.telegram.org. */
  apiRoot?: string;
  /** Injected fetch (tests, service bindings). Default: the global fetch, looked up at call time. */
  fetch?: typeof fetch;
  /** A 429 asking to wait at most this long is retried once in place; a longer one throws. Default 5000. */
  maxRetryWaitMs?: number;
  /**
   * Give up on a Bot API call after this long (default 30 s; grammY's own is 500 s); the caller retries later
   * with backoff. Not shorter: sendMessage is not idempotent, and a call that timed out on a starved worker
   * after Telegram had already answered is sent twice (10 s gave duplicates under load in npm run faults).
   */
  timeoutSeconds?: number;
  /** How to wait out a short 429; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** A ChatSender that can edit, show typing and answer buttons, plus raw calls for the CLI. */
export interface TelegramSender extends ChatSender {
  editText(chatId: string, messageId: string, text: string): Promise<void>;
  typing(chatId: string): Promise<void>;
  answerButton(callbackId: string, text?: string): Promise<void>;
  /** Any Bot API call through grammY's Api, with the same 429 handling and token-free ChannelErrors. */
  call<T>(method: string, run: (api: Api) => Promise<T>): Promise<T>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The outbound side of a Telegram bot, on grammY's `Api` (web build: runs on workerd and Node).
 * Text is sent plain (no parse_mode), so model output can never break formatting; text over 4096
 * characters goes out as several messages, split on the best boundary.
 *
 * @example
 * const telegram = createTelegramSender({ token: env.TELEGRAM_BOT_TOKEN });
 * await telegram.sendText("12345", "Approve the refund?", { buttons: [{ id: "approve", title: "Approve" }] });
 */
export function createTelegramSender(options: TelegramSenderOptions): TelegramSender {
  const { token, maxRetryWaitMs = 5_000, sleep = defaultSleep } = options;
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const api = new Api(token, {
    // grammY rejects a trailing slash; a URL from config may have one.
    apiRoot: options.apiRoot?.replace(/\/+$/, ""),
    fetch: telegramFetch(fetchImpl),
    timeoutSeconds: options.timeoutSeconds ?? TELEGRAM_TIMEOUT_SECONDS,
  });

  async function call<T>(method: string, run: (api: Api) => Promise<T>): Promise<T> {
    try {
      return await run(api);
    } catch (error) {
      const wait = retryAfterSeconds(error);
      if (wait === undefined || wait * 1000 > maxRetryWaitMs) throw toChannelError(error, method, token);
      await sleep(wait * 1000);
      try {
        return await run(api);
      } catch (again) {
        throw toChannelError(again, method, token);
      }
    }
  }

  return {
    call,

    async sendText(chatId: string, text: string, send: SendOptions = {}): Promise<SentMessage> {
      if (text.trim() === "") throw invalid("empty_text", "Telegram cannot send an empty message");
      const markup = send.buttons?.length ? inlineKeyboard(send.buttons) : undefined;
      const reply = send.replyToMessageId === undefined ? undefined : replyParameters(send.replyToMessageId);
      const parts = splitMessage(text, TELEGRAM_MAX_CHARS);
      const messageIds: string[] = [];
      for (const [i, part] of parts.entries()) {
        try {
          const message = await call("sendMessage", (a) =>
            a.sendMessage(chatId, part, {
              // The reply quote goes on the first part, the buttons under the last.
              ...(i === 0 && reply ? { reply_parameters: reply } : {}),
              ...(i === parts.length - 1 && markup ? { reply_markup: markup } : {}),
            }),
          );
          messageIds.push(String(message.message_id));
        } catch (error) {
          if (i === 0 || !(error instanceof ChannelError)) throw error;
          // A retry of the whole reply would repeat the parts already delivered: say so.
          const { retriable, retryAfterMs, status, code } = error;
          const note = ` (after ${i} of ${parts.length} parts were sent)`;
          throw new ChannelError(`${error.message}${note}`, { retriable, retryAfterMs, status, code });
        }
      }
      return { messageIds };
    },

    async editText(chatId: string, messageId: string, text: string): Promise<void> {
      if (text.trim() === "") throw invalid("empty_text", "Telegram cannot set a message's text to empty");
      if (text.length > TELEGRAM_MAX_CHARS) {
        throw invalid(
          "too_long",
          `Telegram messages hold ${TELEGRAM_MAX_CHARS} characters, got ${text.length}`,
        );
      }
      const id = messageIdNumber(messageId);
      await call("editMessageText", async (a) => {
        try {
          await a.editMessageText(chatId, id, text);
        } catch (error) {
          // Streaming can repeat the current text (e.g. finish() after the last update); that is success.
          if (!isNotModified(error)) throw error;
        }
      });
    },

    async typing(chatId: string): Promise<void> {
      await call("sendChatAction", (a) => a.sendChatAction(chatId, "typing"));
    },

    async answerButton(callbackId: string, text?: string): Promise<void> {
      await call("answerCallbackQuery", (a) =>
        a.answerCallbackQuery(callbackId, text === undefined ? undefined : { text }),
      );
    },
  };
}

function invalid(code: string, message: string): ChannelError {
  return new ChannelError(message, { retriable: false, code });
}

/** Up to three short buttons share a row (Approve / Reject); otherwise one button per row. */
function inlineKeyboard(buttons: ChatButton[]): InlineKeyboardMarkup {
  const row = (b: ChatButton): InlineKeyboardButton.CallbackButton => {
    const bytes = new TextEncoder().encode(b.id).length;
    if (bytes === 0 || bytes > MAX_CALLBACK_DATA_BYTES) {
      throw invalid("invalid_button", `button id "${b.id}" is ${bytes} bytes; Telegram allows 1–64`);
    }
    if (b.title.trim() === "") throw invalid("invalid_button", `button "${b.id}" has an empty title`);
    return { text: b.title, callback_data: b.id };
  };
  const keys = buttons.map(row);
  const oneRow = keys.length <= 3 && keys.every((k) => k.text.length <= 20);
  return { inline_keyboard: oneRow ? [keys] : keys.map((k) => [k]) };
}

function messageIdNumber(messageId: string): number {
  const id = Number(messageId);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw invalid("invalid_message_id", `"${messageId}" is not a Telegram message id`);
  }
  return id;
}

/** allow_sending_without_reply: a deleted original should not swallow the answer. */
function replyParameters(messageId: string): ReplyParameters {
  return { message_id: messageIdNumber(messageId), allow_sending_without_reply: true };
}
