import { drizzle } from "drizzle-orm/durable-sqlite";
import type { StoragePort } from "./ports.ts";

/**
 * drizzle over an object's storage port. The durable-sqlite driver only calls `sql.exec` and
 * `transactionSync`, which both hosts provide (workerd's `ctx.storage`, and src/node/sqlite-storage.ts),
 * so the same schemas and migrations serve both.
 */
export function openDb(storage: StoragePort) {
  return drizzle(storage as unknown as Parameters<typeof drizzle>[0]);
}
export type ObjectDb = ReturnType<typeof openDb>;
