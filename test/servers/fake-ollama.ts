import { startFakeOpenAi } from "./fake-openai.ts";
import type { FakeServer } from "./recorder.ts";

/**
 * A fake Ollama: the fake OpenAI server under the `ollama` flavor, serving Ollama's
 * OpenAI-compatible API at `/v1` (no API key needed, replies start with `ollama:`). A separate
 * instance, so a test can tell which base URL a request went to.
 *
 * @example
 * const ollama = await startFakeOllama(); // OLLAMA_BASE_URL = ollama.url
 */
export function startFakeOllama(): Promise<FakeServer> {
  return startFakeOpenAi({ flavor: "ollama" });
}
