import { z } from "zod";
import { NEWEST_GRAPH_VERSION } from "../config/graph-versions.ts";
import { splitMessage } from "./split.ts";
import {
  ChannelError,
  type ChatButton,
  type ChatSender,
  type SendOptions,
  type SentMessage,
} from "./types.ts";
import { redact, toWhatsAppError } from "./whatsapp-errors.ts";

/** Cloud API limits: https://developers.facebook.com/docs/whatsapp/cloud-api/messages/text-messages */
export const WHATSAPP_LIMITS = {
  textBody: 4096,
  buttonBody: 1024,
  buttons: 3,
  buttonTitle: 20,
  buttonId: 256,
} as const;

export interface WhatsAppSenderOptions {
  /** A (system user) access token with whatsapp_business_messaging. */
  accessToken: string;
  /** The business number's id: each inbound webhook's `metadata.phone_number_id`. */
  phoneNumberId: string;
  /** Default https://graph.facebook.com; tests point it at a local fake. */
  baseUrl?: string;
  /** Graph API version, default `NEWEST_GRAPH_VERSION` (src/config/graph-versions.ts). */
  version?: string;
  fetch?: typeof fetch;
  /** Names the token's secret in error messages, e.g. "WHATSAPP_DEMO_ACCESS_TOKEN". */
  accessTokenEnv?: string;
  /** Body of the button message when the text is too long (> 1024) to carry the buttons itself. */
  buttonPrompt?: string;
  /** Per-request timeout, default 15 s; a timeout is retriable. */
  timeoutMs?: number;
  now?: () => number;
}

/** WhatsApp cannot edit messages, so there is no `editText`; `typing` needs an inbound wamid, see below. */
export interface WhatsAppSender extends ChatSender {
  markRead(messageId: string, opts?: { typing?: boolean }): Promise<void>;
  /**
   * Marks an inbound message read and shows "typing…" until the next reply or 25 s, whichever is
   * first. WhatsApp ties the indicator to an inbound wamid, hence not `typing(chatId)`.
   */
  markReadTyping(messageId: string): Promise<void>;
}

const SendResponse = z.looseObject({ messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1) });

/**
 * A ChatSender for the WhatsApp Cloud API (`POST {baseUrl}/{version}/{phoneNumberId}/messages`).
 * Text over 4096 characters goes out as several messages, in order; buttons become an interactive
 * reply-buttons message. Failures throw ChannelError; the token never appears in a message.
 *
 * @example
 * const wa = createWhatsAppSender({ accessToken: env.WHATSAPP_DEMO_ACCESS_TOKEN, phoneNumberId: "1065…" });
 * await wa.markRead(message.id);
 * await wa.sendText(message.from, "Approve?", { buttons: [{ id: "yes", title: "Yes" }, { id: "no", title: "No" }] });
 */
export function createWhatsAppSender(options: WhatsAppSenderOptions): WhatsAppSender {
  const baseUrl = (options.baseUrl ?? "https://graph.facebook.com").replace(/\/+$/, "");
  const url = `${baseUrl}/${options.version ?? NEWEST_GRAPH_VERSION}/${encodeURIComponent(options.phoneNumberId)}/messages`;
  // Unbound `fetch` throws "Illegal invocation" on workerd.
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? Date.now;
  const tokenName = options.accessTokenEnv ?? "the WhatsApp access token (accessTokenEnv)";
  const secrets = [options.accessToken];

  async function post(action: string, payload: Record<string, unknown>): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${options.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ messaging_product: "whatsapp", ...payload }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ChannelError(
        redact(`WhatsApp ${action} failed: could not reach ${baseUrl} (${reason})`, secrets),
        {
          retriable: true,
        },
      );
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    if (!res.ok) {
      throw toWhatsAppError({
        action,
        status: res.status,
        body,
        headers: res.headers,
        now: now(),
        tokenName,
        secrets,
      });
    }
    return body;
  }

  async function send(payload: Record<string, unknown>): Promise<string> {
    const parsed = SendResponse.safeParse(await post("sendText", payload));
    if (!parsed.success) {
      throw new ChannelError("WhatsApp sendText: Graph answered 2xx without messages[0].id", {
        retriable: false,
      });
    }
    return parsed.data.messages[0]?.id ?? "";
  }

  return {
    async sendText(to: string, text: string, opts: SendOptions = {}): Promise<SentMessage> {
      if (text.trim() === "") throw invalid("sendText: WhatsApp rejects an empty text body");
      const buttons = opts.buttons?.length ? validateButtons(opts.buttons) : undefined;
      const inline = buttons !== undefined && text.length <= WHATSAPP_LIMITS.buttonBody;
      const chunks = inline ? [] : splitMessage(text, WHATSAPP_LIMITS.textBody);
      const ids: string[] = [];
      // The quote goes on the first message only; the rest follow in order, one request at a time.
      let context = opts.replyToMessageId ? { context: { message_id: opts.replyToMessageId } } : {};
      for (const [i, body] of chunks.entries()) {
        try {
          ids.push(await send({ ...base(to), ...context, type: "text", text: { body, preview_url: false } }));
        } catch (error) {
          throw i === 0 ? error : partial(error, ids.length, chunks.length);
        }
        context = {};
      }
      if (buttons) {
        const body = inline ? text : (options.buttonPrompt ?? "Choose an option:");
        const interactive = {
          type: "button",
          body: { text: body },
          action: { buttons: buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: b.title } })) },
        };
        try {
          ids.push(await send({ ...base(to), ...context, type: "interactive", interactive }));
        } catch (error) {
          throw ids.length === 0 ? error : partial(error, ids.length, chunks.length + 1);
        }
      }
      return { messageIds: ids };
    },

    async markRead(messageId: string, opts?: { typing?: boolean }): Promise<void> {
      if (opts?.typing) return this.markReadTyping(messageId);
      await post("markRead", { status: "read", message_id: messageId });
    },

    async markReadTyping(messageId: string): Promise<void> {
      await post("markReadTyping", {
        status: "read",
        message_id: messageId,
        typing_indicator: { type: "text" },
      });
    },
  };
}

function base(to: string) {
  return { recipient_type: "individual", to };
}

/**
 * WhatsApp reply buttons: 1–3 buttons, unique ids (1–256 chars) and unique titles (1–20 chars).
 * Checked here so the author sees which button is wrong instead of Graph's generic error 100.
 */
function validateButtons(buttons: ChatButton[]): ChatButton[] {
  const { buttons: max, buttonTitle, buttonId } = WHATSAPP_LIMITS;
  if (buttons.length > max) {
    throw invalid(`sendText: WhatsApp allows at most ${max} reply buttons, got ${buttons.length}`);
  }
  for (const [i, b] of buttons.entries()) {
    if (b.title.trim() === "" || b.title.length > buttonTitle) {
      throw invalid(
        `sendText: button ${i + 1} title "${b.title}" must be 1–${buttonTitle} characters on WhatsApp`,
      );
    }
    if (b.id === "" || b.id.length > buttonId) {
      throw invalid(
        `sendText: button ${i + 1} id must be 1–${buttonId} characters on WhatsApp (got ${b.id.length})`,
      );
    }
  }
  if (new Set(buttons.map((b) => b.id)).size !== buttons.length)
    throw invalid("sendText: button ids must be unique");
  if (new Set(buttons.map((b) => b.title)).size !== buttons.length) {
    throw invalid("sendText: button titles must be unique on WhatsApp");
  }
  return buttons;
}

function invalid(message: string): ChannelError {
  return new ChannelError(`WhatsApp ${message}`, { retriable: false, code: "invalid_request" });
}

/** A later part failed: say so, because retrying the whole reply would repeat the parts already sent. */
function partial(error: unknown, sent: number, total: number): unknown {
  if (!(error instanceof ChannelError)) return error;
  return new ChannelError(`${error.message} (after ${sent} of ${total} parts were sent)`, {
    retriable: error.retriable,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.code === undefined ? {} : { code: error.code }),
  });
}
