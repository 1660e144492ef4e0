import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { NonRetriableError } from "../../../src/engine/errors/non-retriable-error.ts";
import { RetriableStepError } from "../../../src/engine/errors/retriable-step-error.ts";
import { RetryAfterError } from "../../../src/engine/errors/retry-after-error.ts";
import { StepCancelledError } from "../../../src/engine/errors/step-cancelled-error.ts";
import { toStepError } from "../../../src/engine/errors/to-step-error.ts";
import { executeLlmStep, type LlmStepInput } from "../../../src/steps/llm.ts";
import { marker, seenRequests, waitForRequest } from "../../servers/client.ts";

const openaiUrl = inject("fakeOpenAiUrl");
const ollamaUrl = inject("fakeOllamaUrl");

const step = (model: string, prompt: string, extra: Partial<LlmStepInput> = {}): LlmStepInput => ({
  kind: "llm",
  model,
  prompt,
  stream: true,
  timeoutMs: 30_000,
  ...extra,
});
const run = (s: LlmStepInput, signal = new AbortController().signal) => executeLlmStep(s, { env, signal });
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable("expected a failure"),
    (e: unknown) => e,
  );
const withMarker = (m: string) => (r: { body: unknown }) => JSON.stringify(r.body).includes(m);

describe("llm step on the real @ai-sdk/openai provider (fake OpenAI on 127.0.0.1)", () => {
  it("streams a reply and reports usage, provider, model and speed", async () => {
    const m = marker();
    const deltas: string[] = [];
    const result = await executeLlmStep(step("openai:gpt-4o-mini", `hello ${m}`, { system: "be terse" }), {
      env,
      signal: new AbortController().signal,
      onDelta: (text) => deltas.push(text),
    });
    expect(result.output).toEqual({ text: `openai: hello ${m}` });
    expect(result.usage).toEqual({ inputTokens: 4, outputTokens: 3 });
    expect(result).toMatchObject({ provider: "openai", model: "gpt-4o-mini" });
    expect(result.tokensPerSec).toBeGreaterThan(0);
    expect(deltas.at(-1)).toBe(`openai: hello ${m}`);
    expect(deltas.length).toBeGreaterThan(1);

    const [seen] = await seenRequests(openaiUrl, withMarker(m));
    expect(seen?.path).toBe("/v1/chat/completions");
    expect(seen?.headers.authorization).toBe(`Bearer ${env.OPENAI_API_KEY}`);
    expect(seen?.body).toMatchObject({
      model: "gpt-4o-mini",
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: "system", content: "be terse" },
        { role: "user", content: `hello ${m}` },
      ],
    });
  });

  it("appends extra messages after the step's prompt", async () => {
    const m = marker();
    const result = await executeLlmStep(step("openai:gpt-4o-mini", "first"), {
      env,
      signal: new AbortController().signal,
      extraMessages: [{ role: "user", content: `and also ${m}` }],
    });
    expect(result.output.text).toBe(`openai: and also ${m}`);
  });

  it("reaches Ollama through its OpenAI-compatible /v1 API at OLLAMA_BASE_URL", async () => {
    const m = marker();
    const result = await run(step("ollama:llama3.2:1b", `hi ${m}`));
    expect(result.output.text).toBe(`ollama: hi ${m}`);
    expect(result).toMatchObject({ provider: "ollama", model: "llama3.2:1b" });
    const [seen] = await seenRequests(ollamaUrl, withMarker(m));
    expect(seen).toMatchObject({
      path: "/v1/chat/completions",
      body: { model: "llama3.2:1b", stream: true },
    });
    expect(await seenRequests(openaiUrl, withMarker(m))).toEqual([]);
  });

  it("closes the upstream connection when the run is cancelled mid-stream", async () => {
    const m = marker();
    const controller = new AbortController();
    const started = Date.now();
    const error = await failureOf(
      executeLlmStep(step("openai:slow-50", m), {
        env,
        signal: controller.signal,
        onDelta: () => controller.abort("cancelled by test"),
      }),
    );
    expect(error).toBeInstanceOf(StepCancelledError);
    const seen = await waitForRequest(openaiUrl, (r) => withMarker(m)(r) && r.closedAt !== undefined);
    expect(seen.clientClosedEarly).toBe(true);
    // The fake stream would run 200 × 50 ms = 10 s; anything near that means the abort was ignored.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("turns 429 with Retry-After into a RetryAfterError carrying the delay", async () => {
    const error = await failureOf(run(step("openai:fail-429", marker())));
    expect(error).toBeInstanceOf(RetryAfterError);
    expect(error).toMatchObject({ retryAfterMs: 2_000, status: 429 });
    expect(toStepError(error)).toMatchObject({ retriable: true, retryAfterMs: 2_000, status: 429 });
  });

  it("turns 503 with Retry-After into a RetryAfterError", async () => {
    expect(await failureOf(run(step("openai:fail-503-1", marker())))).toMatchObject({ retryAfterMs: 1_000 });
  });

  it("makes a 500 retriable and a 400 not", async () => {
    const serverError = await failureOf(run(step("openai:fail-500", marker())));
    expect(serverError).toBeInstanceOf(RetriableStepError);
    expect(toStepError(serverError)).toMatchObject({ retriable: true, status: 500 });
    const badRequest = await failureOf(run(step("openai:fail-400", marker())));
    expect(badRequest).toBeInstanceOf(NonRetriableError);
    expect(toStepError(badRequest)).toMatchObject({ retriable: false, status: 400 });
  });

  it("fails a stream that outlives the step timeout as retriable, not cancelled", async () => {
    const error = await failureOf(run(step("openai:slow-50", marker(), { timeoutMs: 150 })));
    expect(error).toBeInstanceOf(RetriableStepError);
    expect((error as Error).message).toMatch(/timed out after 150 ms/);
  });

  it("fails at once, without a request, when OPENAI_API_KEY is missing", async () => {
    const error = await failureOf(
      executeLlmStep(step("openai:gpt-4o-mini", "x"), {
        env: { OPENAI_BASE_URL: `${openaiUrl}/v1` },
        signal: new AbortController().signal,
      }),
    );
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(/OPENAI_API_KEY/);
  });
});

describe("llm step on echo", () => {
  it("returns text, word usage and the stand-in's identity", async () => {
    const result = await run(step("echo", "ping pong"));
    expect(result).toMatchObject({
      output: { text: "echo: ping pong" },
      usage: { inputTokens: 2, outputTokens: 3 },
      provider: "hookline",
      model: "echo",
    });
  });

  it("returns validated JSON when the step declares an output schema", async () => {
    const output = { type: "object", properties: { label: { enum: ["spam", "ham"] } }, required: ["label"] };
    const result = await run(step("echo", "classify", { output }));
    expect(result.output).toEqual({ text: '{"label":"spam"}', json: { label: "spam" } });
  });

  it("surfaces a cancel during a slow echo stream as StepCancelledError", async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    const error = await failureOf(
      executeLlmStep(step("echo?delayMs=20", Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ")), {
        env,
        signal: controller.signal,
        onDelta: (text) => {
          deltas.push(text);
          if (deltas.length === 2) controller.abort();
        },
      }),
    );
    expect(error).toBeInstanceOf(StepCancelledError);
    expect(deltas).toHaveLength(2);
  });
});
