import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * A WebSocket → TCP proxy so the Neon serverless driver (Postgres over WebSocket) can reach a plain local
 * Postgres, from Node or from workerd. Clients use Neon's `wsProxy` convention:
 *
 * @example
 * const proxy = await startPgWsProxy();
 * neonConfig.wsProxy = (host, port) => `${proxy.url}/v1?address=${host}:${port}`;
 * neonConfig.useSecureWebSocket = false; // the driver then opens ws://127.0.0.1:PORT/v1?address=127.0.0.1:5432
 * neonConfig.pipelineConnect = false;
 *
 * It only ever connects to loopback targets (127.0.0.1, ::1, localhost) and only listens on 127.0.0.1.
 */
export interface PgWsProxy {
  /** `127.0.0.1:PORT`, no scheme: what Neon's `wsProxy` function prefixes. */
  url: string;
  port: number;
  /** `true`: drop every open tunnel now and answer new upgrades with 503 until `setDown(false)`. */
  setDown(down: boolean): void;
  /**
   * `true`: a Postgres that hangs. Open tunnels stop forwarding, and new WebSockets are accepted but never
   * connected onwards, until `setHang(false)` drops them all (fault drills).
   */
  setHang(hang: boolean): void;
  close(): Promise<void>;
}

export interface PgWsProxyOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: "127.0.0.1";
}

/** The path Neon's wsProxy convention uses here: `/v1?address=host:port`. */
const PATH = "/v1";
/** Above this many bytes queued towards the WebSocket client, stop reading from Postgres. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 1 << 18;

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Whether a host names this machine's loopback interface (`[::1]` brackets allowed). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.replace(/^\[(.*)\]$/, "$1").toLowerCase());
}

/** Whether a Postgres URL points at this machine (so it needs the proxy to be reached by the Neon driver). */
export function isLocalDatabaseUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** `host:port` (`::1:5432`, `[::1]:5432`, `localhost:5432`) → parts, or a reason it is not acceptable. */
function parseTarget(address: string | null): { host: string; port: number } | { refused: string } {
  if (!address) return { refused: "missing ?address=host:port" };
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { refused: `bad address ${address.slice(0, 60)}` };
  }
  if (!isLoopbackHost(host)) return { refused: `refused: ${host.slice(0, 60)} is not a loopback address` };
  return { host, port };
}

/** A WebSocket close reason is at most 123 bytes. */
function reason(text: string): string {
  return Buffer.from(text)
    .subarray(0, 123)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
  socket.once("error", () => {});
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Pipes one WebSocket to one TCP connection until either side goes away; returns how to kill it. */
function tunnel(ws: WebSocket, host: string, port: number): () => void {
  const tcp: Socket = connect({ host, port });
  tcp.setNoDelay(true);
  let done = false;
  const finish = (code: number, why: string) => {
    if (done) return;
    done = true;
    tcp.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason(why));
  };

  ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
    if (done) return;
    const chunk = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    // tcp buffers writes made before it connects; pause the client while Postgres is not keeping up.
    if (!tcp.write(chunk)) ws.pause();
  });
  tcp.on("drain", () => ws.resume());

  tcp.on("data", (chunk: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary: true }, () => {
      if (tcp.isPaused() && ws.bufferedAmount < LOW_WATER) tcp.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER) tcp.pause();
  });

  tcp.on("error", (error: NodeJS.ErrnoException) =>
    finish(1011, `upstream ${host}:${port}: ${error.code ?? error.message}`),
  );
  tcp.on("close", () => finish(1000, "upstream closed"));
  ws.on("error", () => finish(1011, "websocket error"));
  ws.on("close", () => {
    done = true;
    // Let Postgres see a clean end of stream after anything already written.
    tcp.end();
    setTimeout(() => tcp.destroy(), 1000).unref();
  });

  return () => {
    done = true;
    tcp.destroy();
    ws.terminate();
  };
}

/** Starts the proxy on 127.0.0.1 (a free port unless one is given). */
export async function startPgWsProxy(options: PgWsProxyOptions = {}): Promise<PgWsProxy> {
  const host = options.host ?? "127.0.0.1";
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const tunnels = new Set<() => void>();
  const stalled = new Set<WebSocket>();
  let down = false;
  let hang = false;

  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(down ? 503 : 426, { "content-type": "text/plain" });
    res.end(down ? "postgres proxy is down\n" : "WebSocket only: /v1?address=127.0.0.1:5432\n");
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    if (down) return rejectUpgrade(socket, 503, "Service Unavailable");
    const url = new URL(req.url ?? "/", "http://proxy.invalid");
    if (url.pathname !== PATH) return rejectUpgrade(socket, 404, "Not Found");
    const target = parseTarget(url.searchParams.get("address"));
    wss.handleUpgrade(req, socket, head, (ws) => {
      if ("refused" in target) return ws.close(1008, reason(target.refused));
      if (down) return ws.terminate();
      if (hang) {
        stalled.add(ws);
        ws.on("error", () => {});
        ws.once("close", () => stalled.delete(ws));
        return;
      }
      const kill = tunnel(ws, target.host, target.port);
      tunnels.add(kill);
      ws.once("close", () => tunnels.delete(kill));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const killAll = () => {
    for (const kill of tunnels) kill();
    tunnels.clear();
  };

  return {
    url: `${host}:${port}`,
    port,
    setDown(value: boolean) {
      down = value;
      if (down) killAll();
    },
    setHang(value: boolean) {
      hang = value;
      if (hang) {
        // Stop forwarding on every open tunnel: Postgres "stops answering" without a close.
        for (const ws of wss.clients) if (!stalled.has(ws)) ws.pause();
        return;
      }
      for (const ws of stalled) ws.terminate();
      stalled.clear();
      killAll();
    },
    async close() {
      down = true;
      killAll();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
