import { readFileSync } from "node:fs";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { describe, expect, it } from "vitest";
import { migrateObject } from "../../../src/host/migrate.ts";
import { freshSchemaSql, schemaOf } from "../../../src/node/fresh-schema.ts";
import { loadMigrations } from "../../../src/node/migrations.ts";
import { openObjectStorage } from "../../../src/node/sqlite-storage.ts";

const objects = ["run", "session", "ops"] as const;
const fresh = (o: string) => readFileSync(`migrations/durable/${o}/fresh.sql`, "utf8");

/** Column lists per table: what the code relies on, however the CREATE text is spelled. */
function columns(storage: ReturnType<typeof openObjectStorage>) {
  return schemaOf(storage)
    .filter((t) => t.type === "table")
    .map((t) => ({ table: t.name, cols: storage.sql.exec(`PRAGMA table_info("${t.name}")`).toArray() }))
    .sort((a, b) => a.table.localeCompare(b.table));
}

describe("a new object's schema in one go (fresh.sql)", () => {
  it.each(objects)(
    "%s: fresh.sql is what the migrations produce (run `npm run migrations:fresh` if not)",
    async (o) => {
      expect(fresh(o)).toBe(await freshSchemaSql(o));
    },
  );

  it.each(objects)(
    "%s: a new object gets the same tables, columns and indexes as one migrated step by step",
    async (o) => {
      const stepwise = openObjectStorage(":memory:");
      const oneGo = openObjectStorage(":memory:");
      await migrate(drizzle(stepwise as never), loadMigrations(o));
      await migrateObject(drizzle(oneGo as never), oneGo, loadMigrations(o), fresh(o));
      expect(columns(oneGo)).toEqual(columns(stepwise));
      expect(schemaOf(oneGo).map((r) => [r.type, r.name])).toEqual(
        expect.arrayContaining(schemaOf(stepwise).map((r) => [r.type, r.name])),
      );
      // Marked as up to date: running the migrator again changes nothing.
      const before = JSON.stringify(schemaOf(oneGo));
      await migrateObject(drizzle(oneGo as never), oneGo, loadMigrations(o), fresh(o));
      expect(JSON.stringify(schemaOf(oneGo))).toBe(before);
      stepwise.close();
      oneGo.close();
    },
  );

  it("an object migrated before keeps taking the migrations it lacks", async () => {
    const old = openObjectStorage(":memory:");
    const all = loadMigrations("run");
    const firstOnly = { journal: { entries: all.journal.entries.slice(0, 1) }, migrations: all.migrations };
    await migrate(drizzle(old as never), firstOnly);
    await migrateObject(drizzle(old as never), old, all, fresh("run"));
    const cols = old.sql.exec(`PRAGMA table_info("attempts")`).toArray() as { name: string }[];
    expect(cols.map((c) => c.name)).toContain("mode");
    old.close();
  });
});
