import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NonRetriableError } from "../../../src/engine/errors/non-retriable-error.ts";
import { toStepError } from "../../../src/engine/errors/to-step-error.ts";
import { ProviderUnreachableError } from "../../../src/models/provider-errors.ts";
import { executeLlmStep, type LlmStepInput } from "../../../src/steps/llm.ts";
import { closedPortUrl } from "../../servers/closed-port.ts";
import { startFakeOllama } from "../../servers/fake-ollama.ts";
import type { FakeServer } from "../../servers/recorder.ts";

// Node's fetch says only "fetch failed" for a refused connection; the step error must name the
// URL and the fix instead (the same messages as on workerd, with Node's precise reason).
let closedUrl: string;
let ollama: FakeServer;
beforeAll(async () => {
  [closedUrl, ollama] = await Promise.all([closedPortUrl(), startFakeOllama()]);
});
afterAll(() => ollama.close());

const step = (model: string): LlmStepInput => ({
  kind: "llm",
  model,
  prompt: "hi",
  stream: true,
  timeoutMs: 10_000,
});
const failure = (model: string, env: Record<string, string>) =>
  executeLlmStep(step(model), { env, fetch, signal: new AbortController().signal }).then(
    () => expect.unreachable("expected a failure"),
    (e: unknown) => e,
  );

describe("llm step errors that say how to fix them (Node)", () => {
  it("says Ollama is not reachable at OLLAMA_BASE_URL (connection refused), retriable", async () => {
    const error = await failure("ollama:llama3.2", { OLLAMA_BASE_URL: closedUrl });
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect((error as Error).message).toBe(
      `Ollama is not reachable at ${closedUrl} (connection refused): start it with \`ollama serve\`, or set OLLAMA_BASE_URL`,
    );
    expect(toStepError(error)).toEqual({ message: (error as Error).message, retriable: true });
  });

  it("accepts OLLAMA_BASE_URL with /v1 and still names Ollama's root", async () => {
    const error = await failure("ollama:llama3.2", { OLLAMA_BASE_URL: `${closedUrl}/v1/` });
    expect((error as Error).message).toContain(`Ollama is not reachable at ${closedUrl} (`);
  });

  it("says `ollama pull` for a missing model, not retriable", async () => {
    const error = await failure("ollama:mistral", { OLLAMA_BASE_URL: ollama.url });
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toBe(
      `Ollama at ${ollama.url} has no model "mistral": run \`ollama pull mistral\``,
    );
    expect(toStepError(error)).toMatchObject({ retriable: false, status: 404 });
  });

  it("names the OpenAI-compatible base URL, never the key", async () => {
    const key = "sk-test-secret-do-not-print";
    const error = await failure("openai:gpt-4o-mini", {
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: `${closedUrl}/v1`,
    });
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect((error as Error).message).toBe(
      `the OpenAI-compatible server at ${closedUrl}/v1 is not reachable (connection refused): start it, or fix OPENAI_BASE_URL`,
    );
    expect(JSON.stringify(toStepError(error))).not.toContain(key);
  });

  it("refuses a base URL with credentials before any request, without printing them", async () => {
    const base = closedUrl.replace("http://", "http://user:hunter2@");
    const error = await failure("ollama:llama3.2", { OLLAMA_BASE_URL: base });
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(/OLLAMA_BASE_URL is invalid \(must not contain user:password@/);
    expect((error as Error).message).not.toContain("hunter2");
  });

  it("leaves a cancel a cancel, not an unreachable provider", async () => {
    const controller = new AbortController();
    controller.abort("stop");
    const error = await executeLlmStep(step("ollama:llama3.2"), {
      env: { OLLAMA_BASE_URL: closedUrl },
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ProviderUnreachableError);
    expect((error as Error).name).toBe("StepCancelledError");
  });
});
