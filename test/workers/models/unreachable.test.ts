import { describe, expect, inject, it } from "vitest";
import { NonRetriableError } from "../../../src/engine/errors/non-retriable-error.ts";
import { toStepError } from "../../../src/engine/errors/to-step-error.ts";
import { ProviderUnreachableError } from "../../../src/models/provider-errors.ts";
import { executeLlmStep, type LlmStepInput } from "../../../src/steps/llm.ts";

// workerd's own fetch says only "Network connection lost." for a refused connection; these check
// that the step error names the URL and the fix instead.
const closedUrl = inject("closedPortUrl");
const ollamaUrl = inject("fakeOllamaUrl");

const step = (model: string): LlmStepInput => ({
  kind: "llm",
  model,
  prompt: "hi",
  stream: true,
  timeoutMs: 10_000,
});
const failure = (model: string, env: Record<string, string>) =>
  executeLlmStep(step(model), { env, signal: new AbortController().signal }).then(
    () => expect.unreachable("expected a failure"),
    (e: unknown) => e,
  );

describe("llm step errors that say how to fix them (workerd)", () => {
  it("names Ollama's URL and `ollama serve` when nothing listens there, and stays retriable", async () => {
    const error = await failure("ollama:llama3.2", { OLLAMA_BASE_URL: closedUrl });
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Ollama is not reachable at ${closedUrl} \\(.+\\): start it with \`ollama serve\`, or set OLLAMA_BASE_URL$`,
      ),
    );
    expect(toStepError(error)).toMatchObject({ retriable: true });
  });

  it("says `ollama pull <model>` for a model Ollama does not have, and does not retry", async () => {
    const error = await failure("ollama:not-pulled:7b", { OLLAMA_BASE_URL: ollamaUrl });
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toBe(
      `Ollama at ${ollamaUrl} has no model "not-pulled:7b": run \`ollama pull not-pulled:7b\``,
    );
    expect(toStepError(error)).toMatchObject({ retriable: false, status: 404 });
  });

  it("names OPENAI_BASE_URL, never the key, when the OpenAI-compatible server is down", async () => {
    const key = "sk-test-secret-do-not-print";
    const error = await failure("openai:gpt-4o-mini", {
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: `${closedUrl}/v1`,
    });
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^the OpenAI-compatible server at ${closedUrl}/v1 is not reachable \\(.+\\): .*OPENAI_BASE_URL`,
      ),
    );
    expect(JSON.stringify(toStepError(error))).not.toContain(key);
  });
});
