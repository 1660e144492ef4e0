import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What a fake server saw of one request. Served as JSON at `GET /__requests`. */
export interface RecordedRequest {
  id: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else the text ("" when empty). */
  body: unknown;
  receivedAt: number;
  /** Set when the response ended or the connection closed, whichever came first. */
  closedAt?: number;
  /** The client went away before the server finished the response (a cancel reached us). */
  clientClosedEarly: boolean;
}

export interface FakeServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  record: RecordedRequest,
) => void | Promise<void>;

/**
 * Starts a `node:http` server on 127.0.0.1 (random port) that records every request and
 * exposes the record over HTTP, because workerd tests cannot share memory with this process:
 * `GET /__requests` → `{ requests }`, `POST /__reset` → empties the list.
 *
 * @example
 * const server = await startRecordingServer((req, res) => res.end("ok"));
 */
export async function startRecordingServer(handle: Handler): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  let nextId = 1;
  const server: Server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    if (path === "/__requests") return sendJson(res, 200, { requests });
    if (path === "/__reset" && req.method === "POST") {
      requests.length = 0;
      return sendJson(res, 200, { ok: true });
    }
    const text = await readBody(req);
    const record: RecordedRequest = {
      id: nextId++,
      method: req.method ?? "GET",
      path,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body: parseMaybeJson(text),
      receivedAt: Date.now(),
      clientClosedEarly: false,
    };
    requests.push(record);
    // `close` fires for a finished response too; only an unfinished one means the client left.
    res.on("close", () => {
      record.closedAt = Date.now();
      record.clientClosedEarly = !res.writableEnded;
    });
    try {
      await handle(req, res, record);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error) } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a JSON response. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseMaybeJson(text: string): unknown {
  try {
    return text === "" ? "" : JSON.parse(text);
  } catch {
    return text;
  }
}
