import { neonConfig, Pool } from "@neondatabase/serverless";

/**
 * A Neon serverless `Pool` for `url`. With `wsProxy` (`127.0.0.1:PORT`, see src/cli/pg-ws-proxy.ts) the
 * driver's WebSocket goes to that proxy, which reaches a plain local Postgres: `ws://PROXY/v1?address=host:port`.
 * Without it a real Neon URL uses the driver's defaults (wss to Neon's own proxy).
 *
 * Idle-connection errors are absorbed (the pool drops that client); query errors still reject as usual.
 * `neonConfig` is per isolate, so the proxy settings, once given, apply to every later pool in this isolate.
 *
 * @example
 * const pool = neonPool(env.DATABASE_URL, env.DATABASE_WS_PROXY || undefined);
 * const db = drizzle({ client: pool });
 */
export function neonPool(url: string, wsProxy?: string): Pool {
  if (wsProxy) {
    const proxy = wsProxy.replace(/^wss?:\/\//, "").replace(/\/+$/, "");
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
  }
  // A Postgres (or proxy) that accepts and never answers must not hold a queue consumer or a request for
  // ever: connecting gives up after 10 s and a statement after 30 s, and the caller retries with backoff.
  const pool = new Pool({ connectionString: url, connectionTimeoutMillis: 10_000, query_timeout: 30_000 });
  // An idle client whose connection dies (Postgres restarted, proxy down, isolate torn down) is dropped by the
  // pool, and the next query opens a new one; without a listener that 'error' event would be thrown instead.
  pool.on("error", () => {});
  return pool;
}
