import type { ServerResponse } from "node:http";
import {
  type FakeServer,
  type Handler,
  type RecordedRequest,
  sendJson,
  startRecordingServer,
} from "./recorder.ts";

type ChatMessage = { role: string; content: unknown };
type ChatRequest = {
  model?: string;
  messages?: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
};

/** How many tokens a `slow-<ms>` model streams: enough that a test can always cancel mid-way. */
export const SLOW_TOKENS = 200;

/**
 * A fake OpenAI Chat Completions server (`POST /v1/chat/completions`, streaming SSE and plain
 * JSON) on 127.0.0.1. The reply is `<flavor>: <last user message>`, one SSE chunk per word, with
 * usage counted in words. Behaviour is picked by the requested model name:
 * - `slow-<ms>`: streams SLOW_TOKENS tokens, one every `<ms>` (for cancel tests);
 * - `fail-<status>` / `fail-<status>-<seconds>`: answers `<status>` with an OpenAI error body;
 *   a 429 carries `Retry-After: <seconds>` (default 2), other statuses only when seconds are given;
 * - `broken`: answers 400 until a key that the request's messages contain was fixed with
 *   `POST /__fix` `{ "key": "…" }`: an upstream that an operator repairs, then retries the run;
 * - `cut-<n>`: streams `n` words of the reply (each chunk carrying the usage so far, as servers with
 *   continuous usage stats do), then destroys the connection without finishing the stream;
 * - `leak-<status>`: answers `<status>` with an error that echoes the request's API key unmasked, as a
 *   careless proxy in front of a model server might (for the secret-redaction tests);
 * - `hang`: accepts the request and never answers (until the client gives up or the server closes);
 * - `flaky<k>-<mode>`, with `<mode>` one of the above (`flaky2-fail-500`, `flaky1-fail-429-1`,
 *   `flaky1-cut-3`, `flaky1-hang`): the first `k` requests with the same messages get `<mode>`, later
 *   ones a normal reply; a retried step sends the same messages, so its retry can succeed. Put a unique
 *   marker in the prompt so tests do not share a counter;
 * - anything else: a normal reply.
 * `setHang(true)` makes the whole server accept requests and never answer (a model server that hangs);
 * `setHang(false)` destroys the hung connections and answers again. Also `POST /__hang { on }`.
 * The `openai` flavor demands `Authorization: Bearer …` like OpenAI; `ollama` does not.
 *
 * @example
 * const server = await startFakeOpenAi();
 * createOpenAI({ apiKey: "sk-test", baseURL: `${server.url}/v1` }).chat("gpt-4o-mini");
 */
export async function startFakeOpenAi(
  options: { flavor?: "openai" | "ollama" } = {},
): Promise<FakeServer & { setHang(on: boolean): void }> {
  const control: HangControl = { hang: false, hung: new Set() };
  const setHang = (on: boolean) => {
    control.hang = on;
    if (on) return;
    for (const res of control.hung) res.destroy();
    control.hung.clear();
  };
  const inner = openAiHandler(options.flavor ?? "openai");
  const server = await startRecordingServer((req, res, record) => {
    if (record.path === "/__hang" && record.method === "POST") {
      setHang(Boolean((record.body as { on?: unknown }).on));
      return sendJson(res, 200, { ok: true });
    }
    if (control.hang) {
      control.hung.add(res);
      res.once("close", () => control.hung.delete(res));
      return;
    }
    return inner(req, res, record);
  });
  return {
    ...server,
    setHang,
    close: () => {
      setHang(false);
      return server.close();
    },
  };
}

interface HangControl {
  hang: boolean;
  hung: Set<ServerResponse>;
}

/**
 * The request handler behind `startFakeOpenAi`, for servers that add routes around it (the fake Ollama).
 *
 * @example
 * startRecordingServer((req, res, record) => record.path === "/x" ? res.end() : openAiHandler("ollama")(req, res, record));
 */
export function openAiHandler(flavor: "openai" | "ollama"): Handler {
  const fixed = new Set<string>();
  /** `flaky<k>-…` requests seen per model and messages. */
  const tries = new Map<string, number>();
  return async (_req, res, record) => {
    if (record.method === "POST" && record.path === "/__fix") {
      fixed.add(String((record.body as { key?: unknown } | undefined)?.key ?? ""));
      return sendJson(res, 200, { ok: true });
    }
    if (record.method !== "POST" || record.path !== "/v1/chat/completions") {
      return sendJson(res, 404, {
        error: { message: `no route ${record.method} ${record.path}`, type: "invalid_request_error" },
      });
    }
    if (flavor === "openai" && !/^Bearer \S+/.test(record.headers.authorization ?? "")) {
      return sendJson(res, 401, {
        error: { message: "missing API key", type: "invalid_request_error", code: "invalid_api_key" },
      });
    }
    const body = (record.body ?? {}) as ChatRequest;
    let model = body.model ?? "";
    const flaky = /^flaky(\d+)-(.+)$/.exec(model);
    if (flaky) {
      const key = `${model}\n${JSON.stringify(body.messages ?? [])}`;
      const n = (tries.get(key) ?? 0) + 1;
      tries.set(key, n);
      model = n <= Number(flaky[1]) ? (flaky[2] ?? "") : "ok";
    }
    const leak = /^leak-(\d{3})$/.exec(model);
    if (leak) {
      const key = (record.headers.authorization ?? "").replace(/^Bearer /, "");
      return sendJson(res, Number(leak[1]), {
        error: { message: `Incorrect API key provided: ${key}`, type: "invalid_request_error", code: "leak" },
      });
    }
    if (model === "hang") return; // never answers; the client's timeout (or the server's close) ends it
    const failure = /^fail-(\d{3})(?:-(\d+))?$/.exec(model);
    if (failure) {
      const status = Number(failure[1]);
      const retryAfter = failure[2] ?? (status === 429 ? "2" : undefined);
      const headers: Record<string, string> = retryAfter === undefined ? {} : { "retry-after": retryAfter };
      return sendJson(
        res,
        status,
        { error: { message: `fake ${flavor}: forced ${status}`, type: "fake_error", code: String(status) } },
        headers,
      );
    }
    const text = JSON.stringify(body.messages ?? []);
    if (model === "broken" && ![...fixed].some((key) => key !== "" && text.includes(key))) {
      return sendJson(res, 400, {
        error: { message: `fake ${flavor}: broken until fixed`, type: "fake_error", code: "400" },
      });
    }
    const slow = /^slow-(\d+)$/.exec(model);
    const cut = /^cut-(\d+)$/.exec(model);
    const tokens = slow
      ? Array.from({ length: SLOW_TOKENS }, (_, i) => `${i === 0 ? "" : " "}t${i}`)
      : (`${flavor}: ${lastUserText(body.messages ?? [])}`.match(/\s*\S+/g) ?? []);
    const usage = {
      prompt_tokens: promptWords(body.messages ?? []),
      completion_tokens: tokens.length,
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const meta = {
      id: `chatcmpl-fake-${record.id}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? "",
    };
    if (!body.stream) {
      const message = { role: "assistant", content: tokens.join("") };
      return sendJson(res, 200, {
        ...meta,
        object: "chat.completion",
        choices: [{ index: 0, message, finish_reason: "stop" }],
        usage,
      });
    }
    await streamTokens(
      res,
      record,
      tokens,
      Number(slow?.[1] ?? 0),
      meta,
      body.stream_options?.include_usage ? usage : undefined,
      cut ? Number(cut[1]) : undefined,
    );
  };
}

async function streamTokens(
  res: ServerResponse,
  record: RecordedRequest,
  tokens: string[],
  delayMs: number,
  meta: { id: string; created: number; model: string },
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined,
  cutAfter?: number,
) {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const send = (data: unknown) =>
    res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
  const chunk = (delta: object, finish: string | null = null) => ({
    ...meta,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  send(chunk({ role: "assistant", content: "" }));
  for (const [i, token] of tokens.entries()) {
    if (i > 0 && delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (record.closedAt !== undefined) return; // the client hung up: stop like a real server would
    if (i === cutAfter) {
      // The connection breaks mid-stream: no finish chunk, no [DONE].
      await new Promise((resolve) => setTimeout(resolve, 20));
      res.destroy();
      return;
    }
    // A cut stream reports the usage so far in each chunk, so a client can count what a broken call used.
    const soFar = { prompt_tokens: usage?.prompt_tokens ?? 0, completion_tokens: i + 1, total_tokens: 0 };
    soFar.total_tokens = soFar.prompt_tokens + soFar.completion_tokens;
    send(
      cutAfter !== undefined && usage
        ? { ...chunk({ content: token }), usage: soFar }
        : chunk({ content: token }),
    );
  }
  send(chunk({}, "stop"));
  if (usage) send({ ...meta, object: "chat.completion.chunk", choices: [], usage });
  send("[DONE]");
  res.end();
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: { text?: unknown }) => (typeof part?.text === "string" ? part.text : ""))
    .join(" ");
}

function lastUserText(messages: ChatMessage[]): string {
  return textOf(messages.findLast((m) => m.role === "user")?.content);
}

function promptWords(messages: ChatMessage[]): number {
  return messages.reduce((n, m) => n + (textOf(m.content).match(/\S+/g)?.length ?? 0), 0);
}
