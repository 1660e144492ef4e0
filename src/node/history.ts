import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { type HistoryStore, historyStore } from "../history/store.ts";

/**
 * History in Postgres for the Node adapter, through node-postgres, when `DATABASE_URL` is set. One pool for
 * the process; `close` on a borrowed store is a no-op, `end` closes the pool at shutdown.
 */
export function nodeHistory(url: string): { store: () => HistoryStore; end: () => Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle client's error (Postgres restarted) must not kill the process; the next query reconnects.
  pool.on("error", (err) => console.warn(`history: postgres connection lost: ${err.message}`));
  const store = historyStore(drizzle({ client: pool }));
  return { store: () => store, end: () => pool.end() };
}
