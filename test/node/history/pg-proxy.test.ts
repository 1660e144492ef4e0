import type { Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { WebSocket } from "ws";
import { type PgWsProxy, startPgWsProxy } from "../../../src/cli/pg-ws-proxy.ts";
import { neonPool } from "../../../src/db/history/neon.ts";

// The WebSocket→TCP proxy with the real Neon driver (Node's WebSocket) and the real local Postgres. It gets
// its own proxy: setDown here must not cut the one the workerd-pg project shares.
const url = inject("testDatabaseUrl");

/** How a raw WebSocket to the proxy ends: the close code and reason, or the HTTP status that refused it. */
function closeOf(target: string): Promise<{ code: number; reason: string } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target);
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on("unexpected-response", (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on("error", (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe.skipIf(!url)("pg WebSocket proxy", () => {
  let proxy: PgWsProxy;
  let pool: Pool;

  beforeAll(async () => {
    proxy = await startPgWsProxy();
    pool = neonPool(url, proxy.url);
  });
  afterAll(async () => {
    await pool?.end();
    await proxy?.close();
  });

  it("carries queries and multi-megabyte rows both ways", async () => {
    const { rows } = await pool.query<{ n: number }>("select 1 + 1 as n");
    expect(rows).toEqual([{ n: 2 }]);
    const big = "x".repeat(3_000_000);
    const echoed = await pool.query<{ len: number; body: string }>("select length($1) as len, $1 as body", [
      big,
    ]);
    expect(echoed.rows[0]?.len).toBe(big.length);
    expect(echoed.rows[0]?.body === big).toBe(true);
  });

  it("setDown(true) fails queries fast with a connection error; setDown(false) recovers", async () => {
    const held = await pool.connect();
    // A checked-out client reports a dropped connection as an 'error' event (pg's contract), besides its query.
    const dropped: Error[] = [];
    held.on("error", (error) => dropped.push(error));
    const started = Date.now();
    const query = held.query("select pg_sleep(10)").then(
      () => undefined,
      (error: Error) => error,
    );
    await new Promise((r) => setTimeout(r, 50));
    proxy.setDown(true);
    const inFlight = await query;
    held.release(true);
    expect(inFlight?.message).toMatch(/Connection terminated/);
    // A new connection is refused at the WebSocket upgrade.
    await expect(pool.query("select 1")).rejects.toThrow();
    // Well under the 10 s the query would sleep: the outage cut it, it did not run out.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(await closeOf(`ws://${proxy.url}/v1?address=127.0.0.1:5432`)).toEqual({ status: 503 });

    proxy.setDown(false);
    const { rows } = await pool.query<{ ok: boolean }>("select true as ok");
    expect(rows).toEqual([{ ok: true }]);
  });

  it("refuses non-loopback targets with a close reason", async () => {
    const refused = await closeOf(`ws://${proxy.url}/v1?address=192.0.2.1:5432`);
    expect(refused).toEqual({ code: 1008, reason: "refused: 192.0.2.1 is not a loopback address" });
    expect(await closeOf(`ws://${proxy.url}/v1`)).toEqual({
      code: 1008,
      reason: "missing ?address=host:port",
    });
    expect(await closeOf(`ws://${proxy.url}/v2?address=127.0.0.1:5432`)).toEqual({ status: 404 });
  });
});
