import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { sampleJson } from "./echo-json.ts";

export interface EchoModelOptions {
  /** Pause before each streamed word after the first; 0 (the default) streams everything at once. */
  delayMs?: number;
}

/**
 * **A stand-in, not a language model.** `echo` answers `echo: <last user message>`, word by word,
 * so demos, tests and benchmarks run offline and deterministically. It implements the AI SDK
 * provider interface (`LanguageModelV4`, provider `hookline`, model `echo`), so `streamText` and
 * `generateText` drive it exactly like a real provider:
 * - usage is counted in words: input = words in every prompt message, output = words sent;
 * - an `abortSignal` stops the stream at once (the pending timer is cleared and the stream errors
 *   with the signal's reason), like a provider whose connection was closed;
 * - when a JSON response format with a schema is requested, it answers with a deterministic value
 *   that satisfies simple schemas (see `sampleJson`), or `{ "echo": text }` without a schema.
 *
 * In a workflow: `model: echo`, or `model: "echo?delayMs=20"` for a slow stream.
 *
 * @example
 * const result = streamText({ model: createEchoModel({ delayMs: 20 }), prompt: "hello there" });
 * for await (const word of result.textStream) console.log(word); // "echo:", " hello", " there"
 */
export function createEchoModel(options: EchoModelOptions = {}): LanguageModelV4 {
  const delayMs = Math.max(0, options.delayMs ?? 0);
  return {
    specificationVersion: "v4",
    provider: "hookline",
    modelId: "echo",
    supportedUrls: {},
    async doGenerate(call): Promise<LanguageModelV4GenerateResult> {
      call.abortSignal?.throwIfAborted();
      const reply = replyTo(call);
      if (delayMs > 0) await sleep(delayMs * Math.max(0, reply.words.length - 1), call.abortSignal);
      return {
        content: [{ type: "text", text: reply.words.join("") }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: reply.usage,
        warnings: [],
      };
    },
    async doStream(call) {
      call.abortSignal?.throwIfAborted();
      return { stream: streamWords(replyTo(call), delayMs, call.abortSignal) };
    },
  };
}

type Reply = { words: string[]; usage: LanguageModelV4Usage };

function replyTo(call: LanguageModelV4CallOptions): Reply {
  const texts = call.prompt.map((message) => ({ role: message.role, text: textOf(message.content) }));
  const lastUser = texts.findLast((m) => m.role === "user")?.text ?? "";
  const format = call.responseFormat;
  const text =
    format?.type === "json"
      ? JSON.stringify(format.schema ? sampleJson(format.schema, `echo: ${lastUser}`) : { echo: lastUser })
      : `echo: ${lastUser}`;
  const words = text.match(/\s*\S+/g) ?? [];
  const inputWords = texts.reduce((n, m) => n + (m.text.match(/\S+/g)?.length ?? 0), 0);
  return {
    words,
    usage: {
      inputTokens: { total: inputWords, noCache: inputWords, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: words.length, text: words.length, reasoning: 0 },
    },
  };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter(
      (part): part is { type: "text"; text: string } =>
        part?.type === "text" && typeof part.text === "string",
    )
    .map((part) => part.text)
    .join(" ");
}

function streamWords(reply: Reply, delayMs: number, signal: AbortSignal | undefined) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let onAbort = () => {};
  const stop = () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  return new ReadableStream<LanguageModelV4StreamPart>({
    start(controller) {
      onAbort = () => {
        stop();
        controller.error(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      controller.enqueue({ type: "stream-start", warnings: [] });
      controller.enqueue({ type: "response-metadata", modelId: "echo" });
      controller.enqueue({ type: "text-start", id: "0" });
      let next = 0;
      const send = () => {
        timer = undefined;
        if (stopped) return;
        // With no delay everything goes out in one go; otherwise one word per timer tick.
        do {
          const word = reply.words[next++];
          if (word === undefined) break;
          controller.enqueue({ type: "text-delta", id: "0", delta: word });
        } while (delayMs === 0);
        if (next < reply.words.length) {
          timer = setTimeout(send, delayMs);
          return;
        }
        stop();
        controller.enqueue({ type: "text-end", id: "0" });
        controller.enqueue({
          type: "finish",
          usage: reply.usage,
          finishReason: { unified: "stop", raw: "stop" },
        });
        controller.close();
      };
      send();
    },
    cancel() {
      stop();
    },
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
