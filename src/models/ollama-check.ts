import { z } from "zod";
import { connectionFailure, displayUrl, ollamaModelMissing, ollamaUnreachable } from "./provider-errors.ts";

/** Where Ollama listens unless told otherwise (`OLLAMA_HOST`'s default). */
export const DEFAULT_OLLAMA_BASE_URL = "http://127.0.0.1:11434";

/**
 * Ollama's own root from `OLLAMA_BASE_URL`, accepting both `http://host:11434` (Ollama's
 * convention) and `http://host:11434/v1` (what OpenAI clients are usually given).
 *
 * @example
 * ollamaRoot("http://127.0.0.1:11434/v1/"); // "http://127.0.0.1:11434"
 */
export function ollamaRoot(base: string | undefined): string {
  return (base ?? DEFAULT_OLLAMA_BASE_URL).replace(/\/+$/, "").replace(/\/v1$/, "");
}

export type OllamaCheck =
  | { ok: true; models: string[] }
  | { ok: false; reason: "unreachable" | "model_missing" | "bad_response"; message: string };

// Ollama's `GET /api/tags`: `{ models: [{ name: "llama3.2:1b", model: "llama3.2:1b", size, digest, ... }] }`.
const TagsSchema = z.object({
  models: z.array(z.looseObject({ name: z.string(), model: z.string().optional() })),
});

/**
 * Asks Ollama which models it has (`GET /api/tags`) and, given `model` (Ollama's name, without
 * the workflow's `ollama:` prefix), whether that one is among them. Never throws: the result says what is wrong and how to fix it, so a caller (the
 * Node adapter at start, `doctor`) can print `message` as is. `llama3.2` matches
 * `llama3.2:latest`, as in Ollama itself.
 *
 * @example
 * const check = await checkOllama({ baseUrl: "http://127.0.0.1:11434", model: "llama3.2", fetch, timeoutMs: 2_000 });
 * if (!check.ok) console.error(check.message); // Ollama at … has no model "llama3.2": run `ollama pull llama3.2` (…)
 */
export async function checkOllama(opts: {
  baseUrl: string;
  model?: string;
  fetch: typeof fetch;
  timeoutMs: number;
}): Promise<OllamaCheck> {
  const root = ollamaRoot(opts.baseUrl);
  const send = opts.fetch;
  let res: Response;
  try {
    res = await send(`${root}/api/tags`, { signal: AbortSignal.timeout(opts.timeoutMs) });
  } catch (error) {
    const why =
      (error as { name?: unknown } | null)?.name === "TimeoutError"
        ? `no answer within ${opts.timeoutMs} ms`
        : connectionFailure(error);
    return { ok: false, reason: "unreachable", message: ollamaUnreachable(root, why) };
  }
  const notOllama = (what: string) => ({
    ok: false as const,
    reason: "bad_response" as const,
    message: `${displayUrl(root)} does not look like Ollama (GET /api/tags ${what}): point OLLAMA_BASE_URL at Ollama's root, e.g. ${DEFAULT_OLLAMA_BASE_URL}`,
  });
  if (!res.ok) {
    await res.body?.cancel();
    return notOllama(`returned ${res.status}`);
  }
  let parsed: z.infer<typeof TagsSchema>;
  try {
    parsed = TagsSchema.parse(await res.json());
  } catch {
    return notOllama("returned no model list");
  }
  const models = parsed.models.map((m) => m.name);
  if (opts.model !== undefined && !hasOllamaModel(parsed.models, opts.model)) {
    return { ok: false, reason: "model_missing", message: ollamaModelMissing(root, opts.model, models) };
  }
  return { ok: true, models };
}

/**
 * Whether `wanted` names one of the listed models. A name without a tag means `:latest`.
 *
 * @example
 * hasOllamaModel([{ name: "llama3.2:latest" }], "llama3.2"); // true
 * hasOllamaModel([{ name: "llama3.2:1b" }], "llama3.2"); // false
 */
export function hasOllamaModel(models: readonly { name: string; model?: string }[], wanted: string): boolean {
  const target = withTag(wanted);
  return models.some(
    (m) => withTag(m.name) === target || (m.model !== undefined && withTag(m.model) === target),
  );
}

// The tag follows the last ":" of the last path segment (a registry host may carry a port).
function withTag(name: string): string {
  const lower = name.trim().toLowerCase();
  const last = lower.slice(lower.lastIndexOf("/") + 1);
  return last.includes(":") ? lower : `${lower}:latest`;
}
