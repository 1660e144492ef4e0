import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { StoragePort } from "../host/ports.ts";
import { createSqlPort } from "./sql-exec.ts";

/** How long a connection waits for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) a SQLite file tuned for durability: WAL (readers never block the writer),
 * `synchronous=FULL` (a commit is on disk when it returns, which is what "the RPC returned, so the write
 * is durable" relies on) and a busy timeout (several connections may share a file, e.g. the alarm registry).
 *
 * @example
 * const db = openSqlite("/var/lib/hookline/queues.sqlite");
 */
export function openSqlite(path: string): DatabaseSync {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
  return db;
}

/** A `StoragePort` over one file, plus what the host needs: closing it and delivering its alarm. */
export interface ObjectStorage extends StoragePort {
  close(): void;
  /** The persisted alarm, even while it is being delivered (host use). */
  storedAlarm(): number | null;
  /**
   * Host use, before calling `alarm()`: as in workerd, `getAlarm()` reads null during delivery unless the
   * object sets or deletes an alarm; the row stays on disk, so a crash mid-delivery redelivers it.
   */
  beginAlarm(): void;
  /**
   * Host use, after `alarm()`: on success the delivered alarm is deleted unless the object set or deleted
   * one meanwhile. Returns whether the object changed its alarm during delivery.
   */
  endAlarm(ok: boolean): boolean;
}

/**
 * Opens one object's storage: synchronous SQL shaped like workerd's `ctx.storage.sql`, synchronous
 * transactions (nested ones are savepoints) and one alarm kept in `_hookline_alarm` in the same file, so it
 * survives a restart. Every committed alarm change is reported through `onAlarmChange`, so the host can
 * (re)arm its timer; a change made inside a transaction is reported only once the outermost one commits.
 *
 * @example
 * const storage = openObjectStorage("/tmp/objects/run/ab12.sqlite", { onAlarmChange: (at) => arm(at) });
 * const db = drizzle(storage as never);
 * await migrate(db, loadMigrations("run"));
 */
export function openObjectStorage(
  path: string,
  options: {
    onAlarmChange?: (at: number | null) => void;
    /** Called before an alarm time is written (and so before its commit); may throw to refuse the write. */
    beforeAlarmWrite?: (at: number) => void;
  } = {},
): ObjectStorage {
  const db = openSqlite(path);
  db.exec(
    "CREATE TABLE IF NOT EXISTS _hookline_alarm (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL)",
  );
  const sql = createSqlPort(db);
  const readAlarm = db.prepare("SELECT at FROM _hookline_alarm WHERE id = 1");
  const writeAlarm = db.prepare("INSERT OR REPLACE INTO _hookline_alarm (id, at) VALUES (1, ?)");
  const clearAlarm = db.prepare("DELETE FROM _hookline_alarm");
  let depth = 0;
  // Alarm changes made inside a transaction wait for its commit (a rollback must not arm a timer).
  let pendingNotify: { at: number | null } | undefined;
  let delivery: { changed: boolean } | undefined;

  // The change is committed by now: a failing listener is logged, not thrown into the object's code (the
  // host re-reads the alarm from this file when it next opens the object).
  const report = (at: number | null) => {
    try {
      options.onAlarmChange?.(at);
    } catch (err) {
      console.error(`alarm change not reported to the host: ${(err as Error).message}`);
    }
  };
  const notify = (at: number | null) => {
    if (delivery) delivery.changed = true;
    if (depth > 0) pendingNotify = { at };
    else report(at);
  };
  const storedAlarm = () => {
    const row = readAlarm.get() as { at: number } | undefined;
    return row ? row.at : null;
  };

  const transactionSync = <T>(fn: () => T): T => {
    const savepoint = `_hookline_sp${depth}`;
    const notifyBefore = pendingNotify;
    db.exec(depth === 0 ? "BEGIN IMMEDIATE" : `SAVEPOINT ${savepoint}`);
    depth++;
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise || typeof (result as { then?: unknown })?.then === "function") {
        (result as Promise<unknown>).then(undefined, () => {});
        throw new TypeError("transactionSync() callback must be synchronous (it returned a Promise)");
      }
    } catch (err) {
      depth--;
      pendingNotify = notifyBefore;
      db.exec(depth === 0 ? "ROLLBACK" : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      throw err;
    }
    depth--;
    try {
      db.exec(depth === 0 ? "COMMIT" : `RELEASE ${savepoint}`);
    } catch (err) {
      // A failed COMMIT (disk full, I/O error) leaves the transaction open; end it so the next call works.
      if (depth === 0 && db.isTransaction) db.exec("ROLLBACK");
      pendingNotify = notifyBefore;
      throw err;
    }
    if (depth === 0 && pendingNotify) {
      const { at } = pendingNotify;
      pendingNotify = undefined;
      report(at);
    }
    return result;
  };

  return {
    sql,
    transactionSync,
    async getAlarm() {
      return delivery && !delivery.changed ? null : storedAlarm();
    },
    async setAlarm(scheduledTime: number | Date) {
      const at = Math.floor(scheduledTime instanceof Date ? scheduledTime.getTime() : scheduledTime);
      if (!Number.isFinite(at)) throw new TypeError(`setAlarm: invalid time ${String(scheduledTime)}`);
      // Objects re-arm after every transition, mostly to the same time: skip the write (an fsync) then.
      if (!delivery && storedAlarm() === at) return;
      options.beforeAlarmWrite?.(at);
      writeAlarm.run(at);
      notify(at);
    },
    async deleteAlarm() {
      if (!delivery && storedAlarm() === null) return;
      clearAlarm.run();
      notify(null);
    },
    close: () => {
      if (db.isOpen) db.close();
    },
    storedAlarm,
    beginAlarm() {
      delivery = { changed: false };
    },
    endAlarm(ok: boolean) {
      const changed = delivery?.changed ?? false;
      delivery = undefined;
      if (ok && !changed) {
        clearAlarm.run();
        report(null);
      }
      return changed;
    },
  };
}
