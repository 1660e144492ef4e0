import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetryAfterError } from "../../../src/engine/errors/retry-after-error.ts";
import { StepCancelledError } from "../../../src/engine/errors/step-cancelled-error.ts";
import { executeLlmStep, type LlmStepInput } from "../../../src/steps/llm.ts";
import { startFakeOllama } from "../../servers/fake-ollama.ts";
import { startFakeOpenAi } from "../../servers/fake-openai.ts";
import type { FakeServer } from "../../servers/recorder.ts";

// The same executors on Node (undici fetch), which the Node adapter will use. The servers run
// in this process, so tests read their records from memory instead of over HTTP.
let openai: FakeServer;
let ollama: FakeServer;
let env: Record<string, string>;

beforeAll(async () => {
  [openai, ollama] = await Promise.all([startFakeOpenAi(), startFakeOllama()]);
  env = { OPENAI_API_KEY: "sk-test-node", OPENAI_BASE_URL: `${openai.url}/v1`, OLLAMA_BASE_URL: ollama.url };
});
afterAll(async () => {
  await Promise.all([openai.close(), ollama.close()]);
});

const step = (model: string, prompt: string, extra: Partial<LlmStepInput> = {}): LlmStepInput => ({
  kind: "llm",
  model,
  prompt,
  stream: true,
  timeoutMs: 30_000,
  ...extra,
});

describe("llm step on Node", () => {
  it("streams from the real OpenAI provider with usage", async () => {
    const result = await executeLlmStep(step("openai:gpt-4o-mini", "node says hi"), {
      env,
      fetch,
      signal: new AbortController().signal,
    });
    expect(result.output.text).toBe("openai: node says hi");
    expect(result.usage).toEqual({ inputTokens: 3, outputTokens: 4 });
  });

  it("reaches the fake Ollama at OLLAMA_BASE_URL/v1", async () => {
    const result = await executeLlmStep(step("ollama:qwen2.5:0.5b", "hey"), {
      env,
      signal: new AbortController().signal,
    });
    expect(result.output.text).toBe("ollama: hey");
    expect(ollama.requests.at(-1)?.body).toMatchObject({ model: "qwen2.5:0.5b" });
  });

  it("closes the upstream connection on cancel", async () => {
    const controller = new AbortController();
    const before = openai.requests.length;
    const error = await executeLlmStep(step("openai:slow-50", "cancel me"), {
      env,
      signal: controller.signal,
      onDelta: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepCancelledError);
    const seen = openai.requests[before];
    await expect.poll(() => seen?.closedAt, { timeout: 15_000 }).toBeDefined();
    expect(seen?.clientClosedEarly).toBe(true);
  });

  it("reports 429 Retry-After as RetryAfterError", async () => {
    const error = await executeLlmStep(step("openai:fail-429-3", "x"), {
      env,
      signal: new AbortController().signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryAfterError);
    expect(error).toMatchObject({ retryAfterMs: 3_000, status: 429 });
  });

  it("cancels a slow echo stream", async () => {
    const controller = new AbortController();
    const error = await executeLlmStep(step("echo?delayMs=10", "a b c d e f g h"), {
      env,
      signal: controller.signal,
      onDelta: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepCancelledError);
  });
});
