import { join } from "node:path";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { describe, expect, it } from "vitest";
import { runs, timers } from "../../../src/db/durable/run-schema.ts";
import { loadMigrations } from "../../../src/node/migrations.ts";
import { openObjectStorage } from "../../../src/node/sqlite-storage.ts";
import { tempDir } from "./tmp.ts";

function open(onAlarmChange?: (at: number | null) => void) {
  const file = join(tempDir(), "obj.sqlite");
  return { file, storage: openObjectStorage(file, { onAlarmChange }) };
}

const runRow = (id: string) => ({
  id,
  workflowId: "wf",
  status: "running",
  state: "{}",
  createdAt: 1,
  updatedAt: 2,
});

describe("openObjectStorage with drizzle's durable-sqlite driver", () => {
  it("runs the real run migrations and reads back what drizzle inserted", async () => {
    const { storage } = open();
    const db = drizzle(storage as never);
    await migrate(db, loadMigrations("run"));
    await migrate(db, loadMigrations("run")); // applied once: a second migrate is a no-op
    db.insert(runs).values(runRow("r1")).run();
    db.insert(timers).values({ timerId: "t1", at: 10, purpose: "delay" }).run();
    expect(db.select().from(runs).where(eq(runs.id, "r1")).get()).toMatchObject({ id: "r1", updatedAt: 2 });
    expect(db.select({ id: runs.id }).from(runs).all()).toEqual([{ id: "r1" }]);
    expect(db.select().from(runs).where(eq(runs.id, "none")).get()).toBeUndefined();
    const applied = storage.sql.exec("SELECT count(*) AS n FROM __drizzle_migrations").one();
    expect(applied.n).toBe(loadMigrations("run").journal.entries.length);
    storage.close();
  });

  it("loads the session and ops migrations too", async () => {
    for (const name of ["session", "ops"] as const) {
      const { storage } = open();
      await migrate(drizzle(storage as never), loadMigrations(name));
      storage.close();
    }
  });
});

describe("sql.exec", () => {
  it("returns plain objects, numbers, ArrayBuffer BLOBs and counts", () => {
    const { storage } = open();
    const { sql } = storage;
    sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag INTEGER, data BLOB)");
    const ins = sql.exec(
      "INSERT INTO t (name, flag, data) VALUES (?, ?, ?)",
      "a",
      true,
      new Uint8Array([1, 2]),
    );
    expect(ins.rowsWritten).toBe(1);
    sql.exec("INSERT INTO t (name, flag, data) VALUES (?, ?, ?)", "b", false, null);
    const cursor = sql.exec("SELECT id, name, flag, data FROM t ORDER BY id");
    expect(cursor.columnNames).toEqual(["id", "name", "flag", "data"]);
    const rows = cursor.toArray();
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(rows[0]).toMatchObject({ id: 1, name: "a", flag: 1 });
    expect(rows[0]?.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(rows[0]?.data as ArrayBuffer)]).toEqual([1, 2]);
    expect(rows[1]).toMatchObject({ flag: 0, data: null });
    expect(sql.exec("UPDATE t SET flag = 2").rowsWritten).toBe(2);
    expect(sql.exec("CREATE INDEX t_name ON t (name)").rowsWritten).toBe(0);
    storage.close();
  });

  it("offers next(), iteration, one() and raw() over one shared position", () => {
    const { storage } = open();
    const { sql } = storage;
    sql.exec("CREATE TABLE t (a INTEGER)");
    for (const a of [1, 2, 3]) sql.exec("INSERT INTO t VALUES (?)", a);
    const c = sql.exec<{ a: number }>("SELECT a FROM t ORDER BY a");
    expect(c.next()).toEqual({ done: false, value: { a: 1 } });
    expect([...c.raw()]).toEqual([[2], [3]]);
    expect(c.next().done).toBe(true);
    expect([...sql.exec<{ a: number }>("SELECT a FROM t")].map((r) => r.a)).toEqual([1, 2, 3]);
    expect([...sql.exec("SELECT a, a * 10 FROM t WHERE a = 2").raw()]).toEqual([[2, 20]]);
    expect(sql.exec("SELECT a FROM t WHERE a = ?", 2).one()).toEqual({ a: 2 });
    expect(() => sql.exec("SELECT a FROM t WHERE a = 9").one()).toThrow(/no results/);
    expect(() => sql.exec("SELECT a FROM t").one()).toThrow(/multiple results/);
    storage.close();
  });

  it("runs every statement of a multi-statement query and returns the last one's rows", () => {
    const { storage } = open();
    const { sql } = storage;
    const rows = sql
      .exec(`CREATE TABLE t (a TEXT); -- a comment; with a semicolon
        INSERT INTO t VALUES ('x;y'); /* ; */ INSERT INTO t VALUES ('z');
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = CASE WHEN 1 THEN a END; SELECT 1; END;
        SELECT a FROM t ORDER BY a;`)
      .toArray();
    expect(rows).toEqual([{ a: "x;y" }, { a: "z" }]);
    expect(sql.exec("SELECT count(*) AS n FROM t; SELECT a FROM t WHERE a = ?", "z").toArray()).toEqual([
      { a: "z" },
    ]);
    expect(() => sql.exec("SELECT ?; SELECT 1", 1)).toThrow(/only the last statement/);
    expect(sql.exec("  -- nothing here\n").toArray()).toEqual([]);
    storage.close();
  });

  it("rejects undefined and objects as bindings", () => {
    const { storage } = open();
    expect(() => storage.sql.exec("SELECT ?", undefined)).toThrow(/undefined/);
    expect(() => storage.sql.exec("SELECT ?", { a: 1 })).toThrow(TypeError);
    storage.close();
  });
});

describe("transactionSync", () => {
  it("commits, rolls back on a throw and rethrows, and nests with savepoints", () => {
    const { storage } = open();
    const { sql } = storage;
    sql.exec("CREATE TABLE t (a INTEGER)");
    const count = () => sql.exec<{ n: number }>("SELECT count(*) AS n FROM t").one().n;
    expect(storage.transactionSync(() => (sql.exec("INSERT INTO t VALUES (1)"), "ok"))).toBe("ok");
    expect(() =>
      storage.transactionSync(() => {
        sql.exec("INSERT INTO t VALUES (2)");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(count()).toBe(1);
    storage.transactionSync(() => {
      sql.exec("INSERT INTO t VALUES (3)");
      expect(() =>
        storage.transactionSync(() => {
          sql.exec("INSERT INTO t VALUES (4)");
          throw new Error("inner");
        }),
      ).toThrow("inner");
      storage.transactionSync(() => sql.exec("INSERT INTO t VALUES (5)"));
    });
    expect([...sql.exec("SELECT a FROM t ORDER BY a").raw()]).toEqual([[1], [3], [5]]);
    storage.close();
  });

  it("rejects an async callback and rolls its writes back", () => {
    const { storage } = open();
    const { sql } = storage;
    sql.exec("CREATE TABLE t (a INTEGER)");
    expect(() =>
      storage.transactionSync((async () => {
        sql.exec("INSERT INTO t VALUES (1)");
      }) as never),
    ).toThrow(/synchronous/);
    expect(sql.exec("SELECT count(*) AS n FROM t").one().n).toBe(0);
    storage.close();
  });
});

describe("alarm", () => {
  it("persists across a reopen and reports each committed change", async () => {
    const seen: (number | null)[] = [];
    const { file, storage } = open((at) => seen.push(at));
    expect(await storage.getAlarm()).toBeNull();
    await storage.setAlarm(new Date(5_000));
    await storage.setAlarm(6_000);
    storage.close();
    const again = openObjectStorage(file);
    expect(await again.getAlarm()).toBe(6_000);
    await again.deleteAlarm();
    expect(await again.getAlarm()).toBeNull();
    again.close();
    expect(seen).toEqual([5_000, 6_000]);
  });

  it("reports an alarm set in a transaction only on commit, and not at all on rollback", async () => {
    const seen: (number | null)[] = [];
    const { storage } = open((at) => seen.push(at));
    expect(() =>
      storage.transactionSync(() => {
        void storage.setAlarm(1_000);
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(seen).toEqual([]);
    expect(await storage.getAlarm()).toBeNull();
    storage.transactionSync(() => void storage.setAlarm(2_000));
    expect(seen).toEqual([2_000]);
    storage.close();
  });

  it("reads null while being delivered, keeps the row until delivery succeeds", async () => {
    const { storage } = open();
    await storage.setAlarm(1_000);
    storage.beginAlarm();
    expect(await storage.getAlarm()).toBeNull();
    expect(storage.storedAlarm()).toBe(1_000);
    expect(storage.endAlarm(false)).toBe(false);
    expect(await storage.getAlarm()).toBe(1_000);
    storage.beginAlarm();
    await storage.setAlarm(9_000);
    expect(storage.endAlarm(true)).toBe(true);
    expect(await storage.getAlarm()).toBe(9_000);
    storage.beginAlarm();
    storage.endAlarm(true);
    expect(await storage.getAlarm()).toBeNull();
    storage.close();
  });
});
