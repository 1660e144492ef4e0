import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sendJson } from "./recorder.ts";

/** One Bot API call, as the fake saw it. */
export interface TelegramCall {
  n: number;
  method: string;
  token: string;
  /** JSON or form fields of the request. */
  body: Record<string, unknown>;
  receivedAt: number;
  /** The HTTP status the fake answered with. */
  status: number;
}

/**
 * A forced failure for the next calls of one method:
 * - `rate_limit`: 429 with `parameters.retry_after` (seconds), like Telegram's flood control;
 * - `error`: `{ ok: false, error_code, description }` with that HTTP status;
 * - `html`: a non-JSON error page (a proxy in front of the Bot API);
 * - `drop`: the connection is destroyed without an answer.
 */
export type TelegramFailure =
  | { kind: "rate_limit"; retryAfter: number }
  | { kind: "error"; code: number; description: string }
  | { kind: "html"; status: number }
  | { kind: "drop" };

export interface WebhookInfoState {
  url: string;
  pending_update_count: number;
  allowed_updates?: string[];
  last_error_date?: number;
  last_error_message?: string;
  secret_token?: string;
}

/**
 * The whole Bot API's health, for outage drills: `ok` answers; `hang` accepts every call and never answers
 * (the call is recorded with status 0); `refuse` closes the listening port, so connections are refused.
 * Back to `ok`, hung calls are dropped (their connections destroyed) and the port listens again.
 */
export type TelegramMode = "ok" | "hang" | "refuse";

export interface FakeTelegram {
  url: string;
  /** The current mode (see `TelegramMode`). */
  mode: TelegramMode;
  /** Switches the whole Bot API to a mode; resolves once the port is closed or listening again. */
  setMode(mode: TelegramMode): Promise<void>;
  /** Every Bot API call in arrival order. Served at `GET /__calls`. */
  calls: TelegramCall[];
  /**
   * Fails the next `times` calls of `method`; with `chatId`, only calls naming that chat_id (so tests sharing
   * the fake cannot take each other's failures). Also `POST /__fail { method, times, chatId?, ...failure }`.
   */
  failNext(method: string, times: number, failure: TelegramFailure, opts?: { chatId?: string }): void;
  /** Every call naming this chat_id fails (default 400 "chat not found"). Also `POST /__reject-chat`. */
  rejectChat(chatId: string, failure?: { code: number; description: string }): void;
  /** The state setWebhook set (and getWebhookInfo returns); tests may add a last error. */
  webhook: WebhookInfoState;
  /** The text each message has now, by `<chat_id>:<message_id>`. */
  messages: Map<string, string>;
  /** Empties calls, failures, messages and the webhook. Also `POST /__reset`. */
  reset(): void;
  close(): Promise<void>;
}

const METHOD_PATH = /^\/bot([^/]+)\/([A-Za-z]+)$/;
const NOT_MODIFIED =
  "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

/**
 * A fake Telegram Bot API (`/bot<token>/<method>`) on 127.0.0.1, enough for replies, streaming edits and
 * the webhook CLI: sendMessage, editMessageText (400 "message is not modified" on the same text, like
 * Telegram), sendChatAction, answerCallbackQuery, setWebhook, getWebhookInfo, deleteWebhook, getMe.
 *
 * @example
 * const telegram = await startFakeTelegram();
 * telegram.failNext("sendMessage", 1, { kind: "rate_limit", retryAfter: 1 });
 * createTelegramSender({ token: "123:abc", apiRoot: telegram.url });
 */
export async function startFakeTelegram(): Promise<FakeTelegram> {
  const calls: TelegramCall[] = [];
  const failures = new Map<string, { failure: TelegramFailure; chatId?: string }[]>();
  const rejected = new Map<string, { code: number; description: string }>();
  const messages = new Map<string, string>();
  const emptyWebhook = (): WebhookInfoState => ({ url: "", pending_update_count: 0 });
  let n = 0;
  let nextMessageId = 100;
  let port = 0;
  const hung = new Set<IncomingMessage>();

  const fake: FakeTelegram = {
    url: "",
    mode: "ok",
    async setMode(mode) {
      const was = fake.mode;
      fake.mode = mode;
      if (was === "hang" && mode !== "hang") {
        for (const req of hung) req.socket.destroy();
        hung.clear();
      }
      if (mode === "refuse" && was !== "refuse") {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
      if (mode !== "refuse" && was === "refuse") {
        await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      }
    },
    calls,
    webhook: emptyWebhook(),
    messages,
    failNext(method, times, failure, opts = {}) {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < times; i++) queue.push({ failure, ...(opts.chatId && { chatId: opts.chatId }) });
      failures.set(method, queue);
    },
    rejectChat(chatId, failure = { code: 400, description: "Bad Request: chat not found" }) {
      rejected.set(chatId, failure);
    },
    reset() {
      calls.length = 0;
      failures.clear();
      rejected.clear();
      messages.clear();
      fake.webhook = emptyWebhook();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const req of hung) req.socket.destroy();
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  /** The first pending failure of `method` that applies to this call's chat, removed from the queue. */
  function takeFailure(method: string, chatId: unknown): TelegramFailure | undefined {
    const queue = failures.get(method);
    const at = queue?.findIndex((f) => f.chatId === undefined || f.chatId === String(chatId)) ?? -1;
    return at < 0 ? undefined : queue?.splice(at, 1)[0]?.failure;
  }

  /** The Bot API's answer to a call that did not fail: `[status, result]`. */
  function answer(method: string, body: Record<string, unknown>): [number, unknown] {
    const chatId = String(body.chat_id ?? "");
    const text = typeof body.text === "string" ? body.text : "";
    switch (method) {
      case "getMe":
        return [200, { id: 42, is_bot: true, first_name: "Fake", username: "fake_bot" }];
      case "sendMessage": {
        const id = nextMessageId++;
        messages.set(`${chatId}:${id}`, text);
        return [
          200,
          {
            message_id: id,
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(chatId), type: "private" },
            text,
          },
        ];
      }
      case "editMessageText": {
        const key = `${chatId}:${String(body.message_id)}`;
        if (!messages.has(key)) return [400, "Bad Request: message to edit not found"];
        if (messages.get(key) === text) return [400, NOT_MODIFIED];
        messages.set(key, text);
        return [
          200,
          {
            message_id: Number(body.message_id),
            date: 0,
            chat: { id: Number(chatId), type: "private" },
            text,
          },
        ];
      }
      case "sendChatAction":
      case "answerCallbackQuery":
        return [200, true];
      case "setWebhook":
        fake.webhook = {
          url: String(body.url ?? ""),
          pending_update_count: body.drop_pending_updates ? 0 : fake.webhook.pending_update_count,
          ...(Array.isArray(body.allowed_updates)
            ? { allowed_updates: body.allowed_updates as string[] }
            : {}),
          ...(typeof body.secret_token === "string" ? { secret_token: body.secret_token } : {}),
        };
        return [200, true];
      case "deleteWebhook":
        fake.webhook = emptyWebhook();
        return [200, true];
      case "getWebhookInfo": {
        const { secret_token: _hidden, ...info } = fake.webhook;
        return [200, { has_custom_certificate: false, ...info }];
      }
      default:
        return [404, "Not Found: method not found"];
    }
  }

  const server: Server = createServer(async (req, res) => {
    const [path = "/", query = ""] = (req.url ?? "/").split("?");
    const text = await readBody(req);
    if (path === "/__calls" && req.method === "GET") return sendJson(res, 200, { calls });
    if (path === "/__reset" && req.method === "POST") {
      fake.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (path === "/__fail" && req.method === "POST") {
      const {
        method,
        times = 1,
        chatId,
        ...failure
      } = JSON.parse(text) as TelegramFailure & { method: string; times?: number; chatId?: string | number };
      fake.failNext(method, times, failure as TelegramFailure, {
        ...(chatId !== undefined && { chatId: String(chatId) }),
      });
      return sendJson(res, 200, { ok: true });
    }
    if (path === "/__reject-chat" && req.method === "POST") {
      const { chatId, code, description } = JSON.parse(text) as {
        chatId: string;
        code?: number;
        description?: string;
      };
      fake.rejectChat(chatId, code && description ? { code, description } : undefined);
      return sendJson(res, 200, { ok: true });
    }
    const match = METHOD_PATH.exec(path);
    if (!match) return sendJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token = "", method = ""] = match;
    const body = parseBody(text, req.headers["content-type"] ?? "", query);
    const call: TelegramCall = { n: ++n, method, token, body, receivedAt: Date.now(), status: 200 };
    calls.push(call);
    if (fake.mode === "hang") {
      call.status = 0;
      hung.add(req);
      req.socket.once("close", () => hung.delete(req));
      return;
    }

    const failure = takeFailure(method, body.chat_id);
    if (failure?.kind === "drop") return req.socket.destroy();
    if (failure?.kind === "html") {
      call.status = failure.status;
      res.writeHead(failure.status, { "content-type": "text/html" });
      return res.end(`<html><body>${failure.status} from a proxy for ${path}</body></html>`);
    }
    if (failure?.kind === "rate_limit") {
      call.status = 429;
      const description = `Too Many Requests: retry after ${failure.retryAfter}`;
      return sendJson(res, 429, {
        ok: false,
        error_code: 429,
        description,
        parameters: { retry_after: failure.retryAfter },
      });
    }
    const chatFailure = body.chat_id === undefined ? undefined : rejected.get(String(body.chat_id));
    const forced = failure ?? (chatFailure && { kind: "error" as const, ...chatFailure });
    if (forced) {
      call.status = forced.code;
      return sendJson(res, forced.code, {
        ok: false,
        error_code: forced.code,
        description: forced.description,
      });
    }
    const [status, result] = answer(method, body);
    call.status = status;
    if (status === 200) return sendJson(res, 200, { ok: true, result });
    return sendJson(res, status, { ok: false, error_code: status, description: result });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${port}`;
  return fake;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** grammY sends JSON (multipart only for file uploads, which this fake does not take). */
function parseBody(text: string, contentType: string, query: string): Record<string, unknown> {
  if (contentType.includes("json") && text !== "") return JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(contentType.includes("urlencoded") ? text : query));
}
