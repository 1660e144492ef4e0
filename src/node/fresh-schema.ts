import { DatabaseSync } from "node:sqlite";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { FRESH_BREAK } from "../host/migrate.ts";
import type { StoragePort } from "../host/ports.ts";
import { loadMigrations, type MigratedObject } from "./migrations.ts";
import { openObjectStorage } from "./sqlite-storage.ts";

/** The schema objects a database holds (ours, not SQLite's or drizzle's bookkeeping), in creation order. */
export function schemaOf(db: DatabaseSync | StoragePort): { type: string; name: string; sql: string }[] {
  const query =
    "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY rowid";
  const rows = "prepare" in db ? db.prepare(query).all() : db.sql.exec(query).toArray();
  return (rows as { type: string; name: string; sql: string }[]).filter(
    (r) => r.name !== "__drizzle_migrations",
  );
}

/**
 * The final schema of one object, as the migrations leave it: what `migrateObject` creates in one go for a
 * new object instead of replaying every migration (rows written and statements are billed per object, and
 * there is one RunObject per run). Written to `migrations/durable/<object>/fresh.sql` by
 * `npm run migrations:fresh`; a test fails when it no longer matches the migrations.
 *
 * @example freshSchemaSql("run") // 'CREATE TABLE `attempts` (…)\n--> statement-breakpoint\n…'
 */
export async function freshSchemaSql(object: MigratedObject): Promise<string> {
  const storage = openObjectStorage(":memory:");
  try {
    await migrate(drizzle(storage as never), loadMigrations(object));
    return `${schemaOf(storage)
      .map((r) => `${r.sql};`)
      .join(FRESH_BREAK)}\n`;
  } finally {
    storage.close();
  }
}
