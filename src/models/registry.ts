import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { z } from "zod";
import { NonRetriableError } from "../engine/errors/non-retriable-error.ts";
import { createEchoModel } from "./echo.ts";

// `.dev.vars` often holds `NAME=` for an unset value: treat an empty string as absent.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** The env vars the model registry reads. Other keys in a Worker's env are ignored. */
export const ModelEnvSchema = z.object({
  OPENAI_API_KEY: optional(z.string()),
  /** Any OpenAI-compatible Chat Completions endpoint, e.g. `http://127.0.0.1:8080/v1`. */
  OPENAI_BASE_URL: optional(z.url({ protocol: /^https?$/ })),
  /** Ollama's own root (`http://127.0.0.1:11434`); `/v1` is added for its OpenAI-compatible API. */
  OLLAMA_BASE_URL: optional(z.url({ protocol: /^https?$/ })),
});
export type ModelEnv = z.infer<typeof ModelEnvSchema>;

export type ModelProvider = "hookline" | "openai" | "ollama";

export interface ResolvedModel {
  model: LanguageModelV4;
  provider: ModelProvider;
  /** The provider's own model id: `echo`, `gpt-4o-mini`, `llama3.2:1b`. */
  modelId: string;
}

export const DEFAULT_OLLAMA_BASE_URL = "http://127.0.0.1:11434";
const ECHO_SPEC = /^echo(?:\?delayMs=(\d{1,6}))?$/;

/**
 * Maps a workflow's `model` string to an AI SDK language model. Switching provider is a
 * one-line change in the workflow:
 * - `echo`, `echo?delayMs=20`: the built-in deterministic stand-in (see `createEchoModel`);
 * - `openai:<model>`: OpenAI Chat Completions, or any compatible server at `OPENAI_BASE_URL`;
 * - `ollama:<model>`: Ollama's OpenAI-compatible API at `OLLAMA_BASE_URL` (tags like `llama3.2:1b` work).
 *
 * Bad specs and missing settings throw `NonRetriableError` naming what to fix: retrying
 * cannot conjure an API key.
 *
 * @example
 * const { model } = resolveModel("openai:gpt-4o-mini", env, { fetch });
 * const result = streamText({ model, prompt: "hi", abortSignal });
 */
export function resolveModel(
  spec: string,
  env: Readonly<Record<string, unknown>>,
  opts: { fetch?: typeof fetch } = {},
): ResolvedModel {
  const echo = ECHO_SPEC.exec(spec);
  if (echo)
    return {
      model: createEchoModel({ delayMs: Number(echo[1] ?? 0) }),
      provider: "hookline",
      modelId: "echo",
    };

  const colon = spec.indexOf(":");
  const prefix = colon < 0 ? spec : spec.slice(0, colon);
  const modelId = colon < 0 ? "" : spec.slice(colon + 1).trim();
  if (prefix !== "openai" && prefix !== "ollama") {
    throw new NonRetriableError(
      `unknown model "${spec}": use echo, echo?delayMs=<ms>, openai:<model> or ollama:<model>`,
    );
  }
  if (modelId === "") throw new NonRetriableError(`model "${spec}" names no model: write ${prefix}:<model>`);

  const config = readEnv(env, spec);
  // Called through a closure: workerd rejects `fetch` invoked with a foreign `this`.
  const injected = opts.fetch;
  const fetchImpl = injected
    ? (input: RequestInfo | URL, init?: RequestInit) => injected(input, init)
    : undefined;

  if (prefix === "openai") {
    if (!config.OPENAI_API_KEY) {
      throw new NonRetriableError(
        `model "${spec}" needs OPENAI_API_KEY: set it with \`wrangler secret put OPENAI_API_KEY\` (or in .dev.vars)`,
      );
    }
    const openai = createOpenAI({
      apiKey: config.OPENAI_API_KEY,
      baseURL: config.OPENAI_BASE_URL,
      fetch: fetchImpl,
    });
    return { model: openai.chat(modelId), provider: "openai", modelId };
  }
  // Ollama ignores the key, but the OpenAI client refuses to send a request without one.
  const ollama = createOpenAI({
    name: "ollama",
    apiKey: "ollama",
    baseURL: `${ollamaRoot(config.OLLAMA_BASE_URL)}/v1`,
    fetch: fetchImpl,
  });
  return { model: ollama.chat(modelId), provider: "ollama", modelId };
}

function readEnv(env: Readonly<Record<string, unknown>>, spec: string): ModelEnv {
  const parsed = ModelEnvSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? "model settings");
  throw new NonRetriableError(
    `model "${spec}": ${name} is invalid (${issue?.message ?? "bad value"}); fix ${name}`,
  );
}

// Accept both `http://host:11434` (Ollama's convention) and `http://host:11434/v1`.
function ollamaRoot(base: string | undefined): string {
  return (base ?? DEFAULT_OLLAMA_BASE_URL).replace(/\/+$/, "").replace(/\/v1$/, "");
}
