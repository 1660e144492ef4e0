import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sendJson } from "./recorder.ts";

/** One POST to `/{version}/{phoneNumberId}/messages`, as the fake Graph API saw it. */
export interface GraphCall {
  n: number;
  path: string;
  version: string;
  phoneNumberId: string;
  /** The raw `Authorization` header ("" when absent). */
  authorization: string;
  body: Record<string, unknown>;
  receivedAt: number;
  /** The HTTP status the fake answered with. */
  status: number;
}

/** A forced Graph error: the body is `{ error: { message, type, code, error_subcode, fbtrace_id } }`. */
export interface GraphFailure {
  /** Graph error code (190, 100, 131047, 130429, …). */
  code: number;
  /** HTTP status; by default 401 for 190, 429 for 130429/80007/4, else 400. */
  status?: number;
  subcode?: number;
  message?: string;
  type?: string;
  /** Extra response headers, e.g. `{ "retry-after": "3" }`. */
  headers?: Record<string, string>;
}

export interface FakeGraph {
  url: string;
  /** Successful and failed message POSTs, in arrival order. Served at `GET /__calls`. */
  calls: GraphCall[];
  /**
   * Fails the next `count` message POSTs with `failure`; with `to`, only POSTs to that recipient (so tests
   * sharing the fake cannot take each other's failures). Also `POST /__fail { count, to?, ...failure }`.
   */
  failNext(count: number, failure: GraphFailure, opts?: { to?: string }): void;
  /** Empties calls and pending failures. Also `POST /__reset`. */
  reset(): void;
  close(): Promise<void>;
}

const MESSAGES_PATH = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/;

/**
 * A fake WhatsApp Cloud API (`POST /{version}/{phoneNumberId}/messages`) on 127.0.0.1. Sends answer
 * `{ messaging_product, contacts, messages: [{ id: "wamid.<n>" }] }`; read receipts answer
 * `{ success: true }`. A request without `Authorization: Bearer …` gets Graph's error 190, like Meta.
 * Control routes for tests that cannot share memory (workerd): `GET /__calls`, `POST /__reset`,
 * `POST /__fail`.
 *
 * @example
 * const graph = await startFakeGraph();
 * graph.failNext(1, { code: 130429 });
 * createWhatsAppSender({ accessToken: "t", phoneNumberId: "123", baseUrl: graph.url });
 */
export async function startFakeGraph(): Promise<FakeGraph> {
  const calls: GraphCall[] = [];
  const failures: { failure: GraphFailure; to?: string }[] = [];
  let n = 0;
  const failNext = (count: number, failure: GraphFailure, opts: { to?: string } = {}) => {
    for (let i = 0; i < count; i++) failures.push({ failure, ...(opts.to && { to: opts.to }) });
  };
  /** The first pending failure that applies to a POST to `to`, removed from the queue. */
  const takeFailure = (to: unknown): GraphFailure | undefined => {
    const at = failures.findIndex((f) => f.to === undefined || f.to === to);
    return at < 0 ? undefined : failures.splice(at, 1)[0]?.failure;
  };
  const reset = () => {
    calls.length = 0;
    failures.length = 0;
  };

  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const text = await readBody(req);
    if (path === "/__calls" && req.method === "GET") return sendJson(res, 200, { calls });
    if (path === "/__reset" && req.method === "POST") {
      reset();
      return sendJson(res, 200, { ok: true });
    }
    if (path === "/__fail" && req.method === "POST") {
      const {
        count = 1,
        to,
        ...failure
      } = JSON.parse(text) as GraphFailure & { count?: number; to?: string };
      failNext(count, failure, to === undefined ? {} : { to });
      return sendJson(res, 200, { ok: true });
    }
    const match = MESSAGES_PATH.exec(path);
    if (req.method !== "POST" || !match) {
      return sendGraphError(res, { code: 100, message: `Unsupported ${req.method} request.` });
    }
    const call: GraphCall = {
      n: ++n,
      path,
      version: match[1] ?? "",
      phoneNumberId: match[2] ?? "",
      authorization: req.headers.authorization ?? "",
      body: parseObject(text),
      receivedAt: Date.now(),
      status: 200,
    };
    calls.push(call);
    const failure = takeFailure(call.body.to);
    if (failure) {
      call.status = sendGraphError(res, failure);
      return;
    }
    if (!/^Bearer \S+$/.test(call.authorization)) {
      call.status = 401;
      return sendGraphError(res, {
        code: 190,
        message: "Invalid OAuth access token - Cannot parse access token",
      });
    }
    if (call.body.status === "read") return sendJson(res, 200, { success: true });
    const to = String(call.body.to ?? "");
    return sendJson(res, 200, {
      messaging_product: "whatsapp",
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id: `wamid.${call.n}` }],
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext,
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with Graph's error envelope; returns the HTTP status sent. */
function sendGraphError(res: ServerResponse, failure: GraphFailure): number {
  const status = failure.status ?? defaultStatus(failure.code);
  const error: Record<string, unknown> = {
    message: failure.message ?? `(#${failure.code}) fake graph error`,
    type: failure.type ?? (failure.code === 190 ? "OAuthException" : "GraphMethodException"),
    code: failure.code,
    fbtrace_id: "AFakeTraceId",
  };
  if (failure.subcode !== undefined) error.error_subcode = failure.subcode;
  sendJson(res, status, { error }, failure.headers);
  return status;
}

function defaultStatus(code: number): number {
  if (code === 190) return 401;
  if (code === 130429 || code === 80007 || code === 4) return 429;
  return 400;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
