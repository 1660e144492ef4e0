import { neonConfig, Pool } from "@neondatabase/serverless";

/**
 * A Neon serverless pool (Postgres over WebSocket). A Neon URL uses the driver as is. With `wsProxy`
 * ("host:port" of a WebSocket→TCP proxy, as `npm start` and the tests run for a plain local Postgres) the
 * driver talks plain ws:// to that proxy instead.
 */
export function neonPool(url: string, wsProxy?: string): Pool {
  if (wsProxy) {
    neonConfig.wsProxy = (host, port) => `${wsProxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
  }
  return new Pool({ connectionString: url });
}
