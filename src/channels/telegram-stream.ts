import { splitMessage } from "./split.ts";
import { TELEGRAM_MAX_CHARS } from "./telegram.ts";
import { ChannelError, type ChatSender, type SentMessage } from "./types.ts";

/** Time for the throttle; tests pass a manual clock. */
export interface StreamClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface StreamingReplyOptions {
  /** At most one edit round per interval. Telegram allows about one message per second per chat. */
  minIntervalMs?: number;
  /** Characters per message before the reply rolls over into a new one. */
  maxChars?: number;
  /** Quote this inbound message in the first reply message. */
  replyToMessageId?: string;
  clock?: StreamClock;
  /** Errors from throttled edits, which `update()` cannot throw. */
  onError?: (error: unknown) => void;
}

export interface StreamingReply {
  /** The whole text so far. The first call sends a message; later ones edit it, throttled and coalesced. */
  update(textSoFar: string): void;
  /** Shows the final text at once (edits, plus new messages past maxChars). Safe to call again after it throws. */
  finish(finalText: string): Promise<SentMessage>;
  /** No more edits. A note ("⏹ stopped") is appended to the text shown so far, if anything was shown. */
  stop(note?: string): Promise<void>;
  /** Resolves when no edit is in flight (tests). */
  idle(): Promise<void>;
  /** Ids of the messages this reply occupies, in order. */
  readonly messageIds: string[];
}

const realClock: StreamClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Streams a reply into a chat by editing one message as text arrives. Only the newest text is sent
 * when an edit is due, one round at a time; a retriable failure (a long 429) pauses edits for its
 * `retryAfterMs`, a permanent one (bot blocked) ends them. A sender without `editText` just sends the
 * final text on `finish`.
 *
 * @example
 * const reply = createStreamingReply(telegram, chatId, { minIntervalMs: 1000 });
 * for await (const delta of stream) reply.update((text += delta));
 * await reply.finish(text);
 */
export function createStreamingReply(
  sender: ChatSender,
  chatId: string,
  options: StreamingReplyOptions = {},
): StreamingReply {
  const { minIntervalMs = 1000, maxChars = TELEGRAM_MAX_CHARS, clock = realClock, onError } = options;
  const canEdit = sender.editText !== undefined;
  const ids: string[] = [];
  const shown: string[] = [];
  let latest = "";
  let dirty = false;
  let closed = false;
  let fatal: unknown;
  let inFlight = false;
  let timer: unknown;
  let lastRoundAt = Number.NEGATIVE_INFINITY;
  let pausedUntil = Number.NEGATIVE_INFINITY;
  let tail: Promise<void> = Promise.resolve();

  /** Brings the chat in line with `text`: edit changed messages, send the ones past the last. */
  async function render(text: string): Promise<void> {
    if (text.trim() === "") return;
    const parts = splitMessage(text, maxChars);
    for (const [i, part] of parts.entries()) {
      const id = ids[i];
      if (id === undefined) {
        const first = ids.length === 0 && options.replyToMessageId !== undefined;
        const sent = await sender.sendText(
          chatId,
          part,
          first ? { replyToMessageId: options.replyToMessageId } : {},
        );
        ids.push(...sent.messageIds);
        shown.push(part);
      } else if (shown[i] !== part && sender.editText) {
        await sender.editText(chatId, id, part);
        shown[i] = part;
      }
    }
  }

  function schedule(): void {
    if (closed || !dirty || inFlight || timer !== undefined) return;
    const wait = Math.max(lastRoundAt + minIntervalMs, pausedUntil) - clock.now();
    if (wait <= 0) return round();
    timer = clock.setTimeout(() => {
      timer = undefined;
      round();
    }, wait);
  }

  function round(): void {
    dirty = false;
    inFlight = true;
    lastRoundAt = clock.now();
    tail = render(latest)
      .catch((error: unknown) => {
        onError?.(error);
        if (error instanceof ChannelError && error.retriable) {
          pausedUntil = clock.now() + (error.retryAfterMs ?? minIntervalMs);
          dirty = true;
        } else {
          fatal = error;
          closed = true;
        }
      })
      .finally(() => {
        inFlight = false;
        schedule();
      });
  }

  async function close(): Promise<void> {
    closed = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    await tail;
  }

  return {
    messageIds: ids,

    update(textSoFar: string): void {
      if (closed || !canEdit) return;
      latest = textSoFar;
      dirty = true;
      schedule();
    },

    async finish(finalText: string): Promise<SentMessage> {
      await close();
      if (fatal !== undefined) throw fatal;
      latest = finalText;
      await render(finalText);
      return { messageIds: [...ids] };
    },

    async stop(note?: string): Promise<void> {
      const wasFatal = fatal !== undefined;
      await close();
      if (note === undefined || ids.length === 0 || wasFatal || fatal !== undefined) return;
      try {
        await render(`${latest.trimEnd()}\n\n${note}`);
      } catch (error) {
        // Stopping must not fail because the last edit did; the caller confirms the stop separately.
        onError?.(error);
      }
    },

    async idle(): Promise<void> {
      // A finished round can start the next one (text arrived meanwhile), so wait until none is running.
      while (inFlight) await tail;
    },
  };
}
