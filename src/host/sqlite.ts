import { sql } from "drizzle-orm";
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

const preparedByDb = new WeakMap<ObjectDb, Map<string, unknown>>();

/**
 * A drizzle query built once per database and kept prepared (`.prepare()`, values as `sql.placeholder`):
 * the hot paths run the same few queries after every transition, and building one anew each time cost
 * more than running it. `key` names the query's shape; `build` must return the same shape for a key.
 *
 * @example
 * const row = prepared(db, "attempt", (d) =>
 *   d.select().from(attempts).where(eq(attempts.attemptId, sql.placeholder("id"))).prepare(),
 * ).get({ id });
 */
export function prepared<Q>(db: ObjectDb, key: string, build: (db: ObjectDb) => Q): Q {
  let queries = preparedByDb.get(db);
  if (!queries) {
    queries = new Map();
    preparedByDb.set(db, queries);
  }
  let query = queries.get(key) as Q | undefined;
  if (query === undefined) {
    query = build(db);
    queries.set(key, query);
  }
  return query;
}

/** A placeholder as an update's value (drizzle's `set` takes SQL, not a bare placeholder). */
export const setTo = (name: string) => sql`${sql.placeholder(name)}`;
