import { drizzle } from "drizzle-orm/neon-serverless";
import { neonPool } from "../db/history/neon.ts";
import type { Env } from "../env.ts";
import { type HistoryStore, historyStore } from "../history/store.ts";

/**
 * History in Postgres for Workers, through the Neon driver, when `DATABASE_URL` is set. A workerd socket
 * belongs to the request that opened it, so each caller gets its own pool and closes it when done.
 */
export function historyFor(env: Env): (() => HistoryStore) | undefined {
  const url = typeof env.DATABASE_URL === "string" && env.DATABASE_URL !== "" ? env.DATABASE_URL : undefined;
  if (!url) return undefined;
  const proxy = typeof env.DATABASE_WS_PROXY === "string" ? env.DATABASE_WS_PROXY || undefined : undefined;
  return () => {
    const pool = neonPool(url, proxy);
    return historyStore(drizzle({ client: pool }), () => pool.end());
  };
}
