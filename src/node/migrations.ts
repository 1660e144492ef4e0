import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The objects with drizzle-kit migrations under `migrations/durable/<name>/`. */
export type MigratedObject = "run" | "session" | "ops";

/** What drizzle's durable-sqlite `migrate(db, config)` takes (the default export of `migrations.js`). */
export interface DurableMigrations {
  journal: { entries: { idx: number; when: number; tag: string; breakpoints: boolean }[] };
  migrations: Record<string, string>;
}

const ROOT = fileURLToPath(new URL("../../migrations/durable/", import.meta.url));

/**
 * Builds the `{ journal, migrations }` object that `migrations/durable/<object>/migrations.js` exports,
 * by reading the journal and the `.sql` files. Plain Node cannot import `.sql` (wrangler and Vite load it
 * as text), so the Node host uses this instead of importing `migrations.js`.
 *
 * @example
 * await migrate(drizzle(storage as never), loadMigrations("run"));
 */
export function loadMigrations(object: MigratedObject, root: string = ROOT): DurableMigrations {
  const dir = join(root, object);
  const journal = JSON.parse(
    readFileSync(join(dir, "meta", "_journal.json"), "utf8"),
  ) as DurableMigrations["journal"];
  const migrations: Record<string, string> = {};
  for (const entry of journal.entries) {
    migrations[`m${String(entry.idx).padStart(4, "0")}`] = readFileSync(
      join(dir, `${entry.tag}.sql`),
      "utf8",
    );
  }
  return { journal, migrations };
}
