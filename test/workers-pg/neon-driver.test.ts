import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { describe, expect, inject, it } from "vitest";
import { neonPool } from "../../src/db/history/neon.ts";

/**
 * The real Neon serverless driver inside workerd, over WebSocket (ws://, through the proxy started in
 * test/global-setup.ts) to the local Postgres: the path history writes take under `npm start`.
 */
describe("Neon driver in workerd", () => {
  it.skipIf(!inject("testDatabaseUrl"))(
    "creates, writes, reads and drops a table through drizzle",
    async () => {
      const url = env.DATABASE_URL as string;
      const proxy = env.DATABASE_WS_PROXY as string;
      expect(proxy).toMatch(/^127\.0\.0\.1:\d+$/);
      const pool = neonPool(url, proxy);
      const db = drizzle({ client: pool });
      const table = sql.identifier(`neon_smoke_${crypto.randomUUID().replaceAll("-", "")}`);
      try {
        await db.execute(sql`create table ${table} (id serial primary key, body jsonb not null)`);
        await db.execute(
          sql`insert into ${table} (body) values (${JSON.stringify({ hello: "workerd" })}::jsonb)`,
        );
        const { rows } = await db.execute<{ id: number; body: { hello: string } }>(
          sql`select id, body from ${table}`,
        );
        expect(rows).toEqual([{ id: 1, body: { hello: "workerd" } }]);
      } finally {
        await db.execute(sql`drop table if exists ${table}`);
        await pool.end();
      }
    },
  );
});
