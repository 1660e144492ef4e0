import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { readDevVars } from "./dev-vars.ts";
import { CliError } from "./load.ts";

export const DB_USAGE = `  db migrate [--url postgres://…]          Create or update the history tables in Postgres
                                          (URL: --url, else DATABASE_URL, else DATABASE_URL in .dev.vars)`;

/** Where the drizzle-kit migrations for the history live (the same folder in a clone and in the package). */
export const HISTORY_MIGRATIONS = resolve(import.meta.dirname, "../../migrations/postgres");

/** `hookline db migrate`: applies migrations/postgres with drizzle's migrator; safe to run again. */
export async function dbCommand(root: string, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "migrate") throw new CliError(`unknown db command "${sub ?? ""}"\n\n${DB_USAGE}`);
  const { values } = parseArgs({ args: rest, options: { url: { type: "string" } } });
  const url = values.url ?? process.env.DATABASE_URL ?? readDevVars(root).DATABASE_URL;
  if (!url) {
    throw new CliError(
      "db migrate needs a Postgres URL: pass --url postgres://user@host:5432/db, or set DATABASE_URL (env or .dev.vars)",
    );
  }
  const applied = await migrateHistory(url);
  console.log(
    `hookline: history schema is up to date in ${redact(url)} (${applied} migration(s) in the folder)`,
  );
  return 0;
}

/** Applies the history migrations to `url`; returns how many the folder holds. */
export async function migrateHistory(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrate(drizzle({ client: pool }), { migrationsFolder: HISTORY_MIGRATIONS });
  } catch (err) {
    throw new CliError(`db migrate failed against ${redact(url)}: ${(err as Error).message}`);
  } finally {
    await pool.end();
  }
  const journal = JSON.parse(readFileSync(join(HISTORY_MIGRATIONS, "meta/_journal.json"), "utf8")) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(the given URL)";
  }
}
