/** A button shown under a chat message (Telegram inline keyboard, WhatsApp interactive reply). */
export interface ChatButton {
  id: string;
  title: string;
}

export interface SendOptions {
  buttons?: ChatButton[];
  replyToMessageId?: string;
}

export interface SentMessage {
  messageIds: string[];
}

/** One chat's outbound side. Errors throw ChannelError. */
export interface ChatSender {
  sendText(chatId: string, text: string, options?: SendOptions): Promise<SentMessage>;
  /** Replace a sent message's text (streaming replies). Channels that cannot edit omit it. */
  editText?(chatId: string, messageId: string, text: string): Promise<void>;
  /** Show "typing…" while a run is active. */
  typing?(chatId: string): Promise<void>;
  /** Mark an inbound message read (WhatsApp), with "typing…" when the reply will take a while. */
  markRead?(messageId: string, opts?: { typing?: boolean }): Promise<void>;
  /** Acknowledge a button press (Telegram answerCallbackQuery). */
  answerButton?(callbackId: string, text?: string): Promise<void>;
}

export interface ChannelErrorOptions {
  retriable: boolean;
  retryAfterMs?: number;
  status?: number;
  code?: string;
}

/** A channel call failed. `retriable` tells the engine whether a later attempt may succeed. */
export class ChannelError extends Error {
  readonly retriable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, opts: ChannelErrorOptions) {
    super(message);
    this.name = "ChannelError";
    this.retriable = opts.retriable;
    this.retryAfterMs = opts.retryAfterMs;
    this.status = opts.status;
    this.code = opts.code;
  }
}
