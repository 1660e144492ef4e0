/** A database of the harness's own on the local Postgres, dropped and recreated on every run. */
import pg from "pg";
import { migrateHistory } from "../../src/cli/db.ts";

const ADMIN_URL = process.env.FAULTS_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Drops `name` if it exists (closing other sessions on it), creates it empty, migrates it; returns its URL. */
export async function freshDatabase(name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  admin.on("error", () => {});
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  await migrateHistory(url.toString());
  return url.toString();
}

/** Runs `fn` with a client on `url`, closing it afterwards. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}
