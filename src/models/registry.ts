import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { z } from "zod";
import { ECHO_SPEC } from "../config/model-spec.ts";
import { NonRetriableError } from "../engine/errors/non-retriable-error.ts";
import { createEchoModel } from "./echo.ts";
import { ollamaRoot } from "./ollama-check.ts";
import { explainingFetch, ollamaUnreachable, openAiUnreachable } from "./provider-errors.ts";
import { timedFetch } from "./timed-fetch.ts";

// `.dev.vars` often holds `NAME=` for an unset value: treat an empty string as absent.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

// fetch refuses URLs with `user:pass@` (WHATWG Fetch), and its error would print them: refuse them here.
const baseUrl = z
  .url({ protocol: /^https?$/ })
  .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), "must not contain user:password@ (fetch refuses it)");

/** The env vars the model registry reads. Other keys in a Worker's env are ignored. */
export const ModelEnvSchema = z.object({
  OPENAI_API_KEY: optional(z.string()),
  /** Any OpenAI-compatible Chat Completions endpoint, e.g. `http://127.0.0.1:8080/v1`. */
  OPENAI_BASE_URL: optional(baseUrl),
  /** Ollama's own root (`http://127.0.0.1:11434`); `/v1` is added for its OpenAI-compatible API. */
  OLLAMA_BASE_URL: optional(baseUrl),
});
export type ModelEnv = z.infer<typeof ModelEnvSchema>;

export type ModelProvider = "hookline" | "openai" | "ollama";

export interface ResolvedModel {
  model: LanguageModelV4;
  provider: ModelProvider;
  /** The provider's own model id: `echo`, `gpt-4o-mini`, `llama3.2:1b`. */
  modelId: string;
  /** Where requests go (Ollama's root, or the OpenAI base URL), for error messages. */
  baseUrl?: string;
}

const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/**
 * Maps a workflow's `model` string to an AI SDK language model. Switching provider is a
 * one-line change in the workflow:
 * - `echo`, `echo?delayMs=20`: the built-in deterministic stand-in (see `createEchoModel`);
 * - `openai:<model>`: OpenAI Chat Completions, or any compatible server at `OPENAI_BASE_URL`;
 * - `ollama:<model>`: Ollama's OpenAI-compatible API at `OLLAMA_BASE_URL` (tags like `llama3.2:1b` work).
 *
 * Bad specs and missing settings throw `NonRetriableError` naming what to fix: retrying
 * cannot conjure an API key. A provider that does not answer at all fails its request with
 * `ProviderUnreachableError`, whose message names the base URL and the fix.
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
  // `explainingFetch` calls the injected fetch unbound: workerd rejects it with a foreign `this`.
  if (prefix === "openai") {
    if (!config.OPENAI_API_KEY) {
      throw new NonRetriableError(
        `model "${spec}" needs OPENAI_API_KEY: set it with \`wrangler secret put OPENAI_API_KEY\` (or in .dev.vars)`,
      );
    }
    const baseUrl = config.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL;
    const custom = config.OPENAI_BASE_URL !== undefined;
    const openai = createOpenAI({
      apiKey: config.OPENAI_API_KEY,
      baseURL: config.OPENAI_BASE_URL,
      fetch: timedFetch(
        explainingFetch(opts.fetch, (why) => openAiUnreachable(baseUrl, why, custom)),
        { what: `model ${spec}` },
      ),
    });
    return { model: openai.chat(modelId), provider: "openai", modelId, baseUrl };
  }
  const root = ollamaRoot(config.OLLAMA_BASE_URL);
  // Ollama ignores the key, but the OpenAI client refuses to send a request without one.
  const ollama = createOpenAI({
    name: "ollama",
    apiKey: "ollama",
    baseURL: `${root}/v1`,
    fetch: timedFetch(
      explainingFetch(opts.fetch, (why) => ollamaUnreachable(root, why)),
      { what: `model ${spec}` },
    ),
  });
  return { model: ollama.chat(modelId), provider: "ollama", modelId, baseUrl: root };
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
