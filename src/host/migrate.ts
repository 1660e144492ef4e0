import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import type { StoragePort } from "./ports.ts";
import type { ObjectDb } from "./sqlite.ts";

/** What drizzle-kit's durable-sqlite `migrations.js` exports. */
export interface ObjectMigrations {
  journal: { entries: { idx: number; when: number; tag: string; breakpoints: boolean }[] };
  migrations: Record<string, string>;
}

export const FRESH_BREAK = "\n--> statement-breakpoint\n";

/**
 * Brings an object's SQLite up to date. A new object (no `__drizzle_migrations` yet) gets the final schema
 * in one go (`fresh.sql`, generated from the migrations) and is marked as having applied them all; an
 * existing one replays the migrations it lacks, as drizzle's migrator always does. Replaying every
 * migration for each new object costs rows written and CPU on every run (one RunObject per run), for
 * tables that later migrations alter or drop.
 *
 * @example await migrateObject(db, ctx.storage, migrations, fresh);
 */
export async function migrateObject(
  db: ObjectDb,
  storage: StoragePort,
  migrations: ObjectMigrations,
  fresh: string,
): Promise<void> {
  const known = storage.sql
    .exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = '__drizzle_migrations'")
    .one().n;
  const last = migrations.journal.entries.at(-1);
  if (known === 0 && last) {
    storage.transactionSync(() => {
      for (const statement of fresh.split(FRESH_BREAK)) if (statement.trim()) storage.sql.exec(statement);
      // drizzle's own bookkeeping table, as its migrator creates it; one row with the newest migration's
      // time is all it reads ("applied up to here"), so later migrations still apply.
      storage.sql.exec(
        'CREATE TABLE "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)',
      );
      storage.sql.exec(
        'INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)',
        "",
        last.when,
      );
    });
  }
  await migrate(db, migrations);
}
