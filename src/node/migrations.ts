import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ObjectMigrations } from "../host/migrate.ts";

/** The objects with drizzle-kit migrations under `migrations/durable/<name>/`. */
export type MigratedObject = "run" | "session" | "ops";

const ROOT = fileURLToPath(new URL("../../migrations/durable/", import.meta.url));

/**
 * Builds the `{ journal, migrations }` object that `migrations/durable/<object>/migrations.js` exports,
 * by reading the journal and the `.sql` files, without importing `.sql` (plain Node cannot, until
 * module-hooks.ts teaches it). Used by the fresh-schema generator and the storage tests; the running
 * Node host imports `migrations.js` like workerd does.
 *
 * @example
 * await migrate(drizzle(storage as never), loadMigrations("run"));
 */
export function loadMigrations(object: MigratedObject, root: string = ROOT): ObjectMigrations {
  const dir = join(root, object);
  const journal = JSON.parse(
    readFileSync(join(dir, "meta", "_journal.json"), "utf8"),
  ) as ObjectMigrations["journal"];
  const migrations: Record<string, string> = {};
  for (const entry of journal.entries) {
    migrations[`m${String(entry.idx).padStart(4, "0")}`] = readFileSync(
      join(dir, `${entry.tag}.sql`),
      "utf8",
    );
  }
  return { journal, migrations };
}
