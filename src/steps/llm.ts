import { APICallError, jsonSchema, type ModelMessage, Output, streamText } from "ai";
import type { ResolvedStep } from "../engine/effects.ts";
import { NonRetriableError } from "../engine/errors/non-retriable-error.ts";
import { RetriableStepError } from "../engine/errors/retriable-step-error.ts";
import { retryAfterMs } from "../engine/errors/retry-after-error.ts";
import type { Json, JsonObject } from "../engine/json.ts";
import { compileJsonSchema } from "../engine/json-schema.ts";
import { connectionFailure, explainProviderError } from "../models/provider-errors.ts";
import { type ResolvedModel, resolveModel } from "../models/registry.ts";
import { attemptSignal } from "./attempt-signal.ts";
import { failureOf, type PartialUsage, withUsage } from "./failure.ts";
import { statusError } from "./status-error.ts";

/** An `llm` step with its templates already rendered by the engine. */
export type LlmStepInput = Extract<ResolvedStep, { kind: "llm" }>;

export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };

export interface LlmStepContext {
  /** The Worker env (or any record): only the keys in `ModelEnvSchema` are read. */
  env: Readonly<Record<string, unknown>>;
  /** Passed to the provider; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Fires when the run is cancelled; the call is aborted and its connection closed. */
  signal: AbortSignal;
  /** Called after each streamed chunk with the text so far, e.g. to edit a chat message live. */
  onDelta?: (textSoFar: string) => void;
  /** Appended after the step's own messages, e.g. messages that arrived while the run was busy. */
  extraMessages?: readonly ChatMessage[];
  now?: () => number;
}

export interface LlmStepResult {
  output: { text: string; json?: Json };
  usage: { inputTokens: number; outputTokens: number };
  provider: string;
  model: string;
  latencyMs: number;
  tokensPerSec: number;
}

/**
 * Runs one attempt of an `llm` step through the AI SDK's `streamText` (always streaming, so a
 * cancel can cut the response mid-way and `onDelta` sees progress). The AI SDK's own retries
 * are off: the engine's retry policy owns them. Provider errors map like HTTP statuses
 * (`statusError`); a cancel is a `StepCancelledError`; a timeout is retriable. An unreachable
 * provider (retriable) and a model Ollama has not pulled (not retriable) say how to fix them.
 *
 * @example
 * const result = await executeLlmStep(
 *   { kind: "llm", model: "echo", prompt: "hi", stream: true, timeoutMs: 60_000 },
 *   { env, signal: attempt.signal },
 * );
 * result.output.text; // "echo: hi"
 */
export async function executeLlmStep(step: LlmStepInput, ctx: LlmStepContext): Promise<LlmStepResult> {
  const now = ctx.now ?? Date.now;
  const started = now();
  const { signal, dispose } = attemptSignal(ctx.signal, step.timeoutMs);
  let resolved: ResolvedModel | undefined;
  /**
   * The usage the provider reported before the attempt failed, if it reports usage in every chunk
   * (vLLM's continuous usage stats, some gateways). OpenAI itself sends usage only in the last chunk, so a
   * stream cut before it reports nothing and nothing is counted: we do not guess at tokens it may bill.
   */
  let reported: PartialUsage | undefined;
  try {
    signal.throwIfAborted();
    resolved = resolveModel(step.model, ctx.env, { fetch: ctx.fetch });
    const { model, provider, modelId } = resolved;
    const result = streamText({
      model,
      instructions: step.system,
      messages: messagesOf(step, ctx.extraMessages),
      allowSystemInMessages: true,
      maxOutputTokens: step.maxOutputTokens,
      temperature: step.temperature,
      output: step.output ? Output.object({ schema: schemaOf(step.output) }) : Output.text(),
      abortSignal: signal,
      // Raw chunks carry the provider's usage so far where it sends one per chunk (see `reported` below).
      includeRawChunks: true,
      // Off: the engine's retry policy (the step's `retry`) is the only one, so attempts are counted once.
      maxRetries: 0,
      // Errors are read from the stream below; the default handler would also console.error them.
      onError: () => {},
    });
    let text = "";
    let usage = { inputTokens: 0, outputTokens: 0 };
    for await (const part of result.stream) {
      if (part.type === "raw") {
        reported = usageIn(part.rawValue) ?? reported;
      } else if (part.type === "text-delta") {
        text += part.text;
        ctx.onDelta?.(text);
      } else if (part.type === "error") {
        throw providerError(part.error, step.model, resolved, now());
      } else if (part.type === "abort") {
        throw signal.reason;
      } else if (part.type === "finish") {
        usage = {
          inputTokens: part.totalUsage.inputTokens ?? 0,
          outputTokens: part.totalUsage.outputTokens ?? 0,
        };
      }
    }
    const json = step.output ? ((await result.output) as Json) : undefined;
    const latencyMs = Math.max(0, now() - started);
    return {
      output: json === undefined ? { text } : { text, json },
      usage,
      provider,
      model: modelId,
      latencyMs,
      tokensPerSec: Math.round((usage.outputTokens * 10_000) / Math.max(latencyMs, 1)) / 10,
    };
  } catch (error) {
    const failure = failureOf(providerError(error, step.model, resolved, now()), {
      cancel: ctx.signal,
      timeoutMs: step.timeoutMs,
      what: `model ${step.model}`,
    });
    throw reported ? withUsage(failure, reported) : failure;
  } finally {
    dispose();
  }
}

function messagesOf(step: LlmStepInput, extra: readonly ChatMessage[] = []): ModelMessage[] {
  const all: ChatMessage[] = [...(step.messages ?? [])];
  if (step.prompt !== undefined) all.push({ role: "user", content: step.prompt });
  all.push(...extra);
  return all.map((m): ModelMessage => {
    if (m.role === "system") return { role: "system", content: m.content };
    if (m.role === "assistant") return { role: "assistant", content: m.content };
    return { role: "user", content: m.content };
  });
}

// The AI SDK only parses JSON against a raw JSON Schema; validation goes through the engine's
// converter so a step's output is checked by the same rules as a `wait` step's resume body.
function schemaOf(schema: JsonObject) {
  const compiled = compileJsonSchema(schema);
  if (!compiled.ok) throw new NonRetriableError(`output schema is not usable: ${compiled.error}`);
  return jsonSchema<Json>(schema as Parameters<typeof jsonSchema>[0], {
    validate: (value) => {
      const parsed = compiled.schema.safeParse(value);
      return parsed.success
        ? { success: true, value: parsed.data as Json }
        : { success: false, error: parsed.error };
    },
  });
}

function providerError(
  error: unknown,
  spec: string,
  resolved: ResolvedModel | undefined,
  now: number,
): unknown {
  const explained = resolved && explainProviderError(error, resolved);
  if (explained) return explained;
  if (!APICallError.isInstance(error)) return error;
  const what = `model ${spec}`;
  if (error.statusCode !== undefined && error.statusCode < 300) {
    // The response started well and its body broke off ("Failed to process successful response"):
    // a retriable network failure, not a 200 to report.
    return new RetriableStepError(
      `${what} stream broke off mid-response (${connectionFailure(error.cause ?? error)})`,
      { cause: error },
    );
  }
  if (error.statusCode !== undefined) {
    const status = error.statusCode;
    const wait = status === 429 ? retryAfterMs(error.responseHeaders?.["retry-after"], now) : undefined;
    const message =
      status === 429
        ? `${what} was rate limited (429${wait === undefined ? "" : `, retry after ${wait / 1000} s`}): ${error.message}`
        : `${what} returned ${status}: ${error.message}`;
    return statusError(status, error.responseHeaders, message, now, error);
  }
  return error.isRetryable
    ? new RetriableStepError(`${what} failed: ${error.message}`, { cause: error })
    : new NonRetriableError(`${what} failed: ${error.message}`, { cause: error });
}

/** `usage` from a raw OpenAI-style chunk, when it carries one. */
function usageIn(raw: unknown): PartialUsage | undefined {
  const usage = (raw as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null } | null)
    ?.usage;
  if (!usage || typeof usage !== "object") return undefined;
  const input = Number(usage.prompt_tokens ?? 0);
  const output = Number(usage.completion_tokens ?? 0);
  if (!Number.isFinite(input) || !Number.isFinite(output)) return undefined;
  return { inputTokens: Math.max(0, Math.trunc(input)), outputTokens: Math.max(0, Math.trunc(output)) };
}
