import { APICallError } from "ai";
import { NonRetriableError } from "../engine/errors/non-retriable-error.ts";
import { RetriableStepError } from "../engine/errors/retriable-step-error.ts";
import { isAbortLike } from "../engine/errors/step-cancelled-error.ts";

/**
 * Messages for the two failures a self-hosted model server causes most: nothing listening at the
 * base URL, and a model that was never pulled. Each names the URL and the fix, because the raw
 * errors ("fetch failed", "Network connection lost.") name neither. Runtime-neutral: no node:*.
 */

/**
 * A model provider could not be reached at all (no response). Retriable: the server may come up.
 *
 * @example
 * throw new ProviderUnreachableError(ollamaUnreachable("http://127.0.0.1:11434", "connection refused"));
 */
export class ProviderUnreachableError extends RetriableStepError {
  readonly reason = "provider_unreachable";
}

/**
 * A URL as messages show it: origin and path only, so credentials in `user:pass@` or a `?key=`
 * query never reach a trace.
 *
 * @example
 * displayUrl("http://u:p@host:8080/v1/?key=x"); // "http://host:8080/v1"
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
  } catch {
    return "(an invalid URL)";
  }
}

/** System error codes (Node, undici) worth naming in words; anything else shows its own message. */
const CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/**
 * Says in a few words why a connection failed, from the deepest useful error in the `cause`
 * chain (Node wraps the socket error in `TypeError: fetch failed`; workerd throws its own text).
 *
 * @example
 * connectionFailure(new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) }));
 * // "connection refused"
 */
export function connectionFailure(error: unknown): string {
  let message = "";
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CODES[code]) return CODES[code];
    if (e.message !== "" && e.message.toLowerCase() !== "fetch failed") message = e.message;
  }
  if (message === "") message = error instanceof Error ? error.message : String(error);
  // Runtime messages may quote the URL; credentials in it must not reach a trace.
  // "Network connection lost." reads better inside parentheses as "network connection lost".
  const text = message.replace(/\/\/[^/\s@]*@/g, "//").replace(/\.+$/, "");
  return /^[A-Z][a-z]/.test(text) ? text[0]?.toLowerCase() + text.slice(1) : text;
}

/**
 * @example
 * ollamaUnreachable("http://127.0.0.1:11434", "connection refused");
 * // "Ollama is not reachable at http://127.0.0.1:11434 (connection refused): start it with `ollama serve`, or set OLLAMA_BASE_URL"
 */
export function ollamaUnreachable(root: string, why: string): string {
  return `Ollama is not reachable at ${displayUrl(root)} (${why}): start it with \`ollama serve\`, or set OLLAMA_BASE_URL`;
}

/**
 * @example
 * ollamaModelMissing("http://127.0.0.1:11434", "llama3.2", ["qwen2.5:0.5b"]);
 * // 'Ollama at http://127.0.0.1:11434 has no model "llama3.2": run `ollama pull llama3.2` (it has: qwen2.5:0.5b)'
 */
export function ollamaModelMissing(root: string, model: string, has?: readonly string[]): string {
  const list = has === undefined ? "" : has.length === 0 ? " (it has none)" : ` (it has: ${has.join(", ")})`;
  return `Ollama at ${displayUrl(root)} has no model "${model}": run \`ollama pull ${model}\`${list}`;
}

/**
 * @example
 * openAiUnreachable("http://127.0.0.1:8080/v1", "connection refused", true);
 */
export function openAiUnreachable(baseUrl: string, why: string, custom: boolean): string {
  return custom
    ? `the OpenAI-compatible server at ${displayUrl(baseUrl)} is not reachable (${why}): start it, or fix OPENAI_BASE_URL`
    : `OpenAI is not reachable at ${displayUrl(baseUrl)} (${why}): check the network, or set OPENAI_BASE_URL`;
}

/**
 * Wraps a provider's fetch so a request that gets no response at all fails with
 * `ProviderUnreachableError(describe(why))` instead of the runtime's bare error. Aborts (cancel,
 * timeout) pass through untouched: the step's own failure mapping owns them.
 *
 * @example
 * const f = explainingFetch(undefined, (why) => ollamaUnreachable(root, why));
 * createOpenAI({ baseURL: `${root}/v1`, fetch: f });
 */
export function explainingFetch(
  inner: typeof fetch | undefined,
  describe: (why: string) => string,
): typeof fetch {
  return async (input, init) => {
    try {
      // Called through globalThis, never as a method: workerd rejects fetch with a foreign `this`.
      return await (inner ? inner(input, init) : globalThis.fetch(input, init));
    } catch (error) {
      if (init?.signal?.aborted || isAbortLike(error)) throw error;
      throw new ProviderUnreachableError(describe(connectionFailure(error)), { cause: error });
    }
  };
}

/**
 * Maps a provider error to one that names the fix, or returns `undefined` to leave it to the
 * generic status mapping. Handles an unreachable provider (also when the AI SDK wrapped it as
 * "Cannot connect to API") and Ollama's 404 for a model that was never pulled (not retriable).
 *
 * @example
 * const explained = explainProviderError(error, { provider: "ollama", modelId: "llama3.2", baseUrl: root });
 */
export function explainProviderError(
  error: unknown,
  model: { provider: string; modelId: string; baseUrl?: string | undefined },
): Error | undefined {
  if (error instanceof ProviderUnreachableError) return error;
  if (!APICallError.isInstance(error)) return undefined;
  if (error.cause instanceof ProviderUnreachableError) return error.cause;
  if (
    model.provider === "ollama" &&
    model.baseUrl !== undefined &&
    error.statusCode === 404 &&
    // Ollama says `model "x" not found, try pulling it first`; a bare "404 page not found" is a wrong URL.
    /\bmodel\b.*\bnot found\b/is.test(`${error.message} ${error.responseBody ?? ""}`)
  ) {
    return new NonRetriableError(ollamaModelMissing(model.baseUrl, model.modelId), {
      status: 404,
      cause: error,
    });
  }
  return undefined;
}
