import { openAiHandler } from "./fake-openai.ts";
import { type FakeServer, sendJson, startRecordingServer } from "./recorder.ts";

/** The models every test may use. The behaviour models (`slow-*`, `fail-*`, `cut-*`, `hang`, `flaky<k>-*`) are always served too. */
export const DEFAULT_OLLAMA_MODELS = ["llama3.2:latest", "llama3.2:1b", "qwen2.5:0.5b"];

/**
 * A fake Ollama on 127.0.0.1 speaking the parts of Ollama's API that Hookline uses:
 * - `GET /api/tags`: `{ models: [{ name, model, modified_at, size, digest, details }] }`;
 * - `POST /v1/chat/completions`: the fake OpenAI server's `ollama` flavor (no API key, replies
 *   start with `ollama:`), except that a model it does not have gets real Ollama's 404
 *   `{"error":{"message":"model \"x\" not found, try pulling it first","type":"api_error",…}}`.
 * A name without a tag means `:latest`, as in Ollama. A separate instance from the fake OpenAI,
 * so a test can tell which base URL a request went to.
 *
 * @example
 * const ollama = await startFakeOllama(); // OLLAMA_BASE_URL = ollama.url
 * const empty = await startFakeOllama({ models: [] }); // every chat request is a 404
 */
export function startFakeOllama(options: { models?: readonly string[] } = {}): Promise<FakeServer> {
  const models = options.models ?? DEFAULT_OLLAMA_MODELS;
  const chat = openAiHandler("ollama");
  return startRecordingServer(async (req, res, record) => {
    if (record.method === "GET" && record.path === "/api/tags") {
      return sendJson(res, 200, { models: models.map(tagEntry) });
    }
    if (record.method === "POST" && record.path === "/v1/chat/completions") {
      const model = String((record.body as { model?: unknown } | null)?.model ?? "");
      if (
        !/^(slow-|fail-|cut-|hang$|flaky\d+-)/.test(model) &&
        !models.some((m) => withTag(m) === withTag(model))
      ) {
        // Older Ollama releases type every error "api_error", newer ones "not_found_error"; both send 404.
        return sendJson(res, 404, {
          error: {
            message: `model "${model}" not found, try pulling it first`,
            type: "api_error",
            param: null,
            code: null,
          },
        });
      }
    }
    return chat(req, res, record);
  });
}

function withTag(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1).includes(":") ? name : `${name}:latest`;
}

function tagEntry(name: string, i: number) {
  return {
    name,
    model: name,
    modified_at: "2025-01-01T00:00:00Z",
    size: 1_000_000_000 + i,
    digest: `${String(i).padStart(2, "0")}${"f".repeat(62)}`,
    details: {
      parent_model: "",
      format: "gguf",
      family: "llama",
      families: ["llama"],
      parameter_size: "1B",
      quantization_level: "Q4_K_M",
    },
  };
}
