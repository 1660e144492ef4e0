import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/durable-sqlite";
import type { StoragePort } from "./ports.ts";

/**
 * drizzle over an object's storage port. The durable-sqlite driver only calls `sql.exec` and
 * `transactionSync`, which both hosts provide (workerd's `ctx.storage`, and src/node/sqlite-storage.ts),
 * so the same schemas and migrations serve both.
 */
export function openDb(storage: StoragePort) {
  const db = drizzle(storage as unknown as Parameters<typeof drizzle>[0]);
  storageOf.set(db, storage);
  return db;
}
export type ObjectDb = ReturnType<typeof openDb>;

const storageOf = new WeakMap<ObjectDb, StoragePort>();
/** The storage a shared prepared query runs on; set only for the length of one synchronous call. */
let current: StoragePort | undefined;
/** drizzle over whichever storage `current` names: prepared queries are built on it once per process. */
const shared = openDb({
  sql: {
    exec: (query: string, ...bindings: unknown[]) => (current as StoragePort).sql.exec(query, ...bindings),
  },
  transactionSync: (fn) => (current as StoragePort).transactionSync(fn),
} as StoragePort);
const built = new Map<string, unknown>();

type Placeholders = Record<string, unknown>;
interface Runnable {
  get(values?: Placeholders): unknown;
  all(values?: Placeholders): unknown;
  run(values?: Placeholders): unknown;
}
type Bound<Q extends Runnable> = {
  get(values?: Placeholders): ReturnType<Q["get"]>;
  all(values?: Placeholders): ReturnType<Q["all"]>;
  run(values?: Placeholders): void;
};

/**
 * A drizzle query built once per process and kept prepared (`.prepare()`, values as `sql.placeholder`), run
 * on `db`'s storage: the hot paths run the same few queries after every transition, and building one anew
 * each time (drizzle's query builder) cost more than running it; a run object is new per run, so even a
 * per-object cache would rebuild them. `key` names the query's shape and must be unique in the process;
 * `build` must not depend on anything but its argument. Every call is synchronous, so pointing the shared
 * instance at `db`'s storage for its length cannot interleave with another object's.
 *
 * @example
 * const row = prepared(db, "run:attempt", (d) =>
 *   d.select().from(attempts).where(eq(attempts.attemptId, sql.placeholder("id"))).prepare(),
 * ).get({ id });
 */
export function prepared<Q extends Runnable>(
  db: ObjectDb,
  key: string,
  build: (db: ObjectDb) => Q,
): Bound<Q> {
  let query = built.get(key) as Q | undefined;
  if (query === undefined) {
    query = build(shared);
    built.set(key, query);
  }
  const q = query;
  const storage = storageOf.get(db);
  if (!storage) throw new Error("prepared(): this database was not opened with openDb");
  const on = <R>(fn: () => R): R => {
    const before = current;
    current = storage;
    try {
      return fn();
    } finally {
      current = before;
    }
  };
  return {
    get: (values) => on(() => q.get(values) as ReturnType<Q["get"]>),
    all: (values) => on(() => q.all(values) as ReturnType<Q["all"]>),
    run: (values) => {
      on(() => q.run(values));
    },
  };
}

/** A placeholder as an update's value (drizzle's `set` takes SQL, not a bare placeholder). */
export const setTo = (name: string) => sql`${sql.placeholder(name)}`;
