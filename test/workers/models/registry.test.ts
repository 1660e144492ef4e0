import { describe, expect, it } from "vitest";
import { NonRetriableError } from "../../../src/engine/errors/non-retriable-error.ts";
import { resolveModel } from "../../../src/models/registry.ts";

const env = { OPENAI_API_KEY: "sk-test-registry", OLLAMA_BASE_URL: "http://127.0.0.1:11434" };

const errorOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
};

describe("resolveModel", () => {
  it("resolves echo and its slow variant to the hookline stand-in", () => {
    expect(resolveModel("echo", {})).toMatchObject({ provider: "hookline", modelId: "echo" });
    expect(resolveModel("echo?delayMs=20", {}).model.provider).toBe("hookline");
  });

  it("resolves openai:<model> to the OpenAI Chat Completions model", () => {
    const resolved = resolveModel("openai:gpt-4o-mini", env);
    expect(resolved).toMatchObject({ provider: "openai", modelId: "gpt-4o-mini" });
    expect(resolved.model.provider).toBe("openai.chat");
  });

  it("keeps an Ollama tag's colon in the model id", () => {
    const resolved = resolveModel("ollama:llama3.2:1b", env);
    expect(resolved).toMatchObject({ provider: "ollama", modelId: "llama3.2:1b" });
    expect(resolved.model.provider).toBe("ollama.chat");
  });

  it("needs no API key for ollama", () => {
    expect(resolveModel("ollama:llama3.2", {}).provider).toBe("ollama");
  });

  it("refuses an unknown provider with a non-retriable error listing the choices", () => {
    const error = errorOf(() => resolveModel("anthropic:claude", env));
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(
      /unknown model "anthropic:claude".*openai:<model>.*ollama:<model>/,
    );
  });

  it("refuses a provider prefix without a model", () => {
    expect((errorOf(() => resolveModel("openai:", env)) as Error).message).toMatch(/names no model/);
  });

  it("says which env var to set when OPENAI_API_KEY is missing or empty", () => {
    for (const e of [{}, { OPENAI_API_KEY: "" }]) {
      const error = errorOf(() => resolveModel("openai:gpt-4o-mini", e));
      expect(error).toBeInstanceOf(NonRetriableError);
      expect((error as Error).message).toMatch(/needs OPENAI_API_KEY.*wrangler secret put OPENAI_API_KEY/);
    }
  });

  it("names a malformed base URL without echoing secrets", () => {
    const error = errorOf(() => resolveModel("openai:gpt-4o-mini", { ...env, OPENAI_BASE_URL: "not a url" }));
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(/OPENAI_BASE_URL is invalid/);
    expect((error as Error).message).not.toContain(env.OPENAI_API_KEY);
  });
});
