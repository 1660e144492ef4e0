import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkOllama, hasOllamaModel, ollamaRoot } from "../../../src/models/ollama-check.ts";
import { closedPortUrl } from "../../servers/closed-port.ts";
import { startFakeOllama } from "../../servers/fake-ollama.ts";
import { startFakeOpenAi } from "../../servers/fake-openai.ts";
import { type FakeServer, sendJson, startRecordingServer } from "../../servers/recorder.ts";

let ollama: FakeServer;
let empty: FakeServer;
let notOllama: FakeServer;
let garbage: FakeServer;
let closedUrl: string;

beforeAll(async () => {
  [ollama, empty, notOllama, garbage, closedUrl] = await Promise.all([
    startFakeOllama({ models: ["llama3.2:latest", "qwen2.5:0.5b"] }),
    startFakeOllama({ models: [] }),
    startFakeOpenAi(),
    startRecordingServer((_req, res) => sendJson(res, 200, { hello: "world" })),
    closedPortUrl(),
  ]);
});
afterAll(() => Promise.all([ollama, empty, notOllama, garbage].map((s) => s.close())));

const check = (baseUrl: string, model?: string) => checkOllama({ baseUrl, model, fetch, timeoutMs: 2_000 });

describe("checkOllama", () => {
  it("lists the models from GET /api/tags", async () => {
    expect(await check(ollama.url)).toEqual({ ok: true, models: ["llama3.2:latest", "qwen2.5:0.5b"] });
    expect(ollama.requests.at(-1)).toMatchObject({ method: "GET", path: "/api/tags" });
  });

  it("finds a model by its exact tag or, without a tag, as :latest", async () => {
    expect(await check(ollama.url, "qwen2.5:0.5b")).toMatchObject({ ok: true });
    expect(await check(ollama.url, "llama3.2")).toMatchObject({ ok: true });
    expect(await check(`${ollama.url}/v1/`, "llama3.2:latest")).toMatchObject({ ok: true });
  });

  it("names the model, the pull command and what Ollama has when the model is missing", async () => {
    expect(await check(ollama.url, "llama3.2:1b")).toEqual({
      ok: false,
      reason: "model_missing",
      message: `Ollama at ${ollama.url} has no model "llama3.2:1b": run \`ollama pull llama3.2:1b\` (it has: llama3.2:latest, qwen2.5:0.5b)`,
    });
    expect(await check(empty.url, "llama3.2")).toMatchObject({
      reason: "model_missing",
      message: expect.stringMatching(/run `ollama pull llama3.2` \(it has none\)$/),
    });
  });

  it("says how to start Ollama when nothing listens", async () => {
    expect(await check(closedUrl, "llama3.2")).toEqual({
      ok: false,
      reason: "unreachable",
      message: `Ollama is not reachable at ${closedUrl} (connection refused): start it with \`ollama serve\`, or set OLLAMA_BASE_URL`,
    });
  });

  it("gives up after timeoutMs on a server that never answers", async () => {
    const hang = await startRecordingServer(() => new Promise(() => {}));
    try {
      const result = await checkOllama({ baseUrl: hang.url, fetch, timeoutMs: 100 });
      expect(result).toMatchObject({
        ok: false,
        reason: "unreachable",
        message: expect.stringContaining("(no answer within 100 ms)"),
      });
    } finally {
      await hang.close();
    }
  });

  it("reports a server that is not Ollama as bad_response", async () => {
    expect(await check(notOllama.url)).toMatchObject({
      ok: false,
      reason: "bad_response",
      message: expect.stringMatching(
        /GET \/api\/tags returned 404\): point OLLAMA_BASE_URL at Ollama's root/,
      ),
    });
    expect(await check(garbage.url)).toMatchObject({
      reason: "bad_response",
      message: expect.stringContaining("returned no model list"),
    });
  });
});

describe("hasOllamaModel and ollamaRoot", () => {
  it("matches tags the way Ollama does", () => {
    expect(hasOllamaModel([{ name: "llama3.2:latest" }], "llama3.2")).toBe(true);
    expect(hasOllamaModel([{ name: "llama3.2:1b" }], "llama3.2")).toBe(false);
    expect(hasOllamaModel([{ name: "x", model: "me/tuned:q4" }], "me/tuned:q4")).toBe(true);
    expect(hasOllamaModel([{ name: "localhost:5000/m:latest" }], "localhost:5000/m")).toBe(true);
  });

  it("accepts the root with or without /v1", () => {
    expect(ollamaRoot("http://h:11434/v1/")).toBe("http://h:11434");
    expect(ollamaRoot(undefined)).toBe("http://127.0.0.1:11434");
  });
});
