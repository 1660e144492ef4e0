import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";
import pg from "pg";

/** The database the tests own on the local server; created when missing. */
export const TEST_DATABASE = "hookline_test";
const LOCAL_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const LOCAL_TEST_URL = `postgres://postgres@127.0.0.1:5432/${TEST_DATABASE}`;
const START_WAIT_MS = 15_000;

export type FoundPostgres = { url: string } | { skipped: string };

/** `undefined` when a connection to `url` works, else a one-line reason. */
async function tryConnect(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
  } finally {
    await client.end().catch(() => {});
  }
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/** Starts the Debian/Ubuntu cluster (`pg_ctlcluster <version> main start`); a reason when it cannot. */
function startLocalCluster(): string | undefined {
  if (!onPath("pg_ctlcluster")) return "pg_ctlcluster not found";
  const versions = existsSync("/etc/postgresql")
    ? readdirSync("/etc/postgresql")
        .filter((v) => existsSync(join("/etc/postgresql", v, "main")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const version = versions[0];
  if (!version) return "no cluster under /etc/postgresql/<version>/main";
  const result = spawnSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], {
    encoding: "utf8",
    timeout: START_WAIT_MS,
  });
  // Exit 2 means "already running" for pg_ctlcluster.
  if (result.status === 0 || result.status === 2) return undefined;
  const detail = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim().split("\n")[0];
  return `pg_ctlcluster ${version} main start failed: ${detail || result.error?.message || `exit ${result.status}`}`;
}

async function waitFor(url: string, ms: number): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  let last = await tryConnect(url);
  while (last && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await tryConnect(url);
  }
  return last;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (rowCount) return;
    try {
      await client.query(`create database "${name.replaceAll('"', '""')}"`);
    } catch (error) {
      // Someone else (another process running this) created it first.
      const code = (error as { code?: string }).code;
      if (code !== "42P04" && code !== "23505") throw error;
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function find(): Promise<FoundPostgres> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    const why = await tryConnect(given);
    return why ? { skipped: `TEST_DATABASE_URL does not answer (${why})` } : { url: given };
  }
  let why = await tryConnect(LOCAL_ADMIN_URL);
  if (why) {
    const notStarted = startLocalCluster();
    if (notStarted) return { skipped: `nothing at 127.0.0.1:5432 (${why}); ${notStarted}` };
    why = await waitFor(LOCAL_ADMIN_URL, START_WAIT_MS);
    if (why) return { skipped: `started the local cluster but 127.0.0.1:5432 did not answer (${why})` };
  }
  await ensureDatabase(LOCAL_ADMIN_URL, TEST_DATABASE);
  return { url: LOCAL_TEST_URL };
}

/**
 * A Postgres for tests: `TEST_DATABASE_URL` when set, else 127.0.0.1:5432 as user `postgres` (starting the
 * local Debian cluster when it is down), with database `hookline_test` created when missing. Without one it
 * returns `{ skipped }` with a one-line reason, except under `CI=true`, where a missing Postgres is an error.
 *
 * @example
 * const pg = await findOrStartPostgres();
 * if ("skipped" in pg) console.log(`postgres: not reachable (${pg.skipped})`);
 */
export async function findOrStartPostgres(): Promise<FoundPostgres> {
  let found: FoundPostgres;
  try {
    found = await find();
  } catch (error) {
    found = { skipped: (error as Error).message.split("\n")[0] ?? String(error) };
  }
  if ("skipped" in found && process.env.CI === "true") {
    throw new Error(
      `CI=true needs a Postgres for the history tests, and none could be had: ${found.skipped}. ` +
        "Install it (apt-get install postgresql) or set TEST_DATABASE_URL.",
    );
  }
  return found;
}
