import { chatSenderFor } from "../channels/senders.ts";
import { createStreamingReply } from "../channels/telegram-stream.ts";
import type { HooklineConfig } from "../config/schema.ts";
import type { Secrets } from "../core/secrets.ts";
import type { ResolvedStep } from "../engine/effects.ts";
import type { Json } from "../engine/json.ts";
import type { StepMessage } from "../engine/messages.ts";
import { executeHttpStep } from "./http.ts";
import { executeLlmStep } from "./llm.ts";

export interface StepResult {
  output: Json;
  usage?: { inputTokens: number; outputTokens: number };
  provider?: string;
  model?: string;
}

export interface ExecuteContext {
  config: HooklineConfig;
  /** Model keys and base URLs (OPENAI_API_KEY, OLLAMA_BASE_URL…), chat tokens. */
  secrets: Secrets;
  /** The fetch http steps use (on Node it pins each connection to a checked address). */
  outboundFetch: typeof fetch;
  signal: AbortSignal;
  /** The fetch an llm step's model calls use (default: global fetch); `runAttempt` gives a cuttable one. */
  modelFetch?: typeof fetch;
  /** Messages steered into the run while it was busy (appended to an llm step's messages). */
  extraMessages?: StepMessage["extraMessages"];
  /** Stream an llm step's text into this chat as it arrives. */
  streamTo?: StepMessage["streamTo"];
  /** An llm step's text so far, after each streamed chunk (the run's live stream). */
  onText?: (textSoFar: string) => void;
}

/** Appended to a streamed draft whose model call failed mid-way. */
export const CUT_OFF_NOTE =
  "⚠ Cut off: the model stopped mid-reply, so this is incomplete. If the step is retried, the full reply follows.";

/** Chat edits are throttled to about one a second per chat (Telegram's limit for a chat). */
const STREAM_EDIT_INTERVAL_MS = 1_000;

/**
 * Runs one resolved I/O step. The signal is wired here for every kind, so no workflow author has to
 * remember it: cancel and the step deadline both abort the outbound call.
 */
export async function executeStep(step: ResolvedStep, ctx: ExecuteContext): Promise<StepResult> {
  const { config } = ctx;
  if (step.kind === "llm") {
    const source = ctx.streamTo ? config.sources[ctx.streamTo.source] : undefined;
    const chat = source && ctx.streamTo ? chatSenderFor(ctx.secrets, source, ctx.streamTo.target) : undefined;
    const reply = chat
      ? createStreamingReply(chat.sender, chat.chatId, {
          minIntervalMs: STREAM_EDIT_INTERVAL_MS,
          onError: (err) => console.warn(`streaming edit failed: ${(err as Error).message}`),
        })
      : undefined;
    try {
      const r = await executeLlmStep(step, {
        env: ctx.secrets,
        fetch: ctx.modelFetch ?? fetch,
        signal: ctx.signal,
        extraMessages: ctx.extraMessages,
        onDelta:
          reply || ctx.onText
            ? (textSoFar) => {
                reply?.update(textSoFar);
                ctx.onText?.(textSoFar);
              }
            : undefined,
      });
      await reply?.finish(r.output.text);
      return { output: r.output, usage: r.usage, provider: r.provider, model: r.model };
    } catch (err) {
      // Cancelled: no more edits; the chat keeps what it was shown (the cancel confirms itself). Failed
      // mid-stream (a cut stream, a timeout): the draft says it is incomplete, so a retry's full reply, sent
      // as a new message, does not look like a second answer next to a truncated one presented as final.
      await reply?.stop(ctx.signal.aborted ? undefined : CUT_OFF_NOTE).catch(() => undefined);
      throw err;
    }
  }
  const r = await executeHttpStep(step, {
    fetch: ctx.outboundFetch,
    signal: ctx.signal,
    allowHosts: config.http.allowHosts,
  });
  return { output: r.output };
}
