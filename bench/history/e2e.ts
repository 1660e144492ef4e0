/**
 * Optional part of `npm run bench:history`: the real EVENTS consumer path in workerd (bench/history/workerd.ts:
 * Hookline with DATABASE_URL and DATABASE_WS_PROXY). `deliveries` signed webhooks go in, `inFlight` at a time;
 * the bench polls Postgres until every run is `completed` there, and counts the rows that landed in all four
 * tables.
 *
 * This measures the whole pipeline (ingress, session, engine, outbox, queue, consumer), so its rows/s is bounded
 * by the engine on this 2-core machine as much as by the write; it is context, not the acceptance measure.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { Pool } from "undici";
import { signers } from "../../src/core/sign/index.ts";
import { TEST_BINDINGS } from "../../test/fixtures/secrets.ts";
import { WORDS } from "./events.ts";
import { SOURCE, WORKFLOW } from "./workerd.ts";

export interface E2eResult {
  describe: string;
  note: string;
  deliveries: number;
  runsLanded: number;
  rowsLanded: number;
  /** First delivery sent → last run completed in Postgres. */
  ms: number;
  rowsPerSec: number;
  /** rowsPerSec ÷ the single-row loop's rows/s from part 1 (context only). */
  vsSingleRow: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureE2e(opts: {
  url: URL;
  dbUrl: string;
  deliveries: number;
  inFlight: number;
  singleRowRps: number;
  deadline: number;
  log: (m: string) => void;
}): Promise<E2eResult> {
  const { log } = opts;
  const pool = new Pool(opts.url, { connections: opts.inFlight });
  const db = new pg.Client({ connectionString: opts.dbUrl });
  await db.connect();
  try {
    const count = async () => {
      const { rows } = await db.query(
        `select (select count(*) from runs where workflow_id = $1 and status = 'completed')::int as done,
           (select count(*) from runs where workflow_id = $1)::int as runs,
           (select count(*) from events where workflow_id = $1)::int as events,
           (select count(*) from step_attempts a join runs r using (run_id) where r.workflow_id = $1)::int as attempts,
           (select count(*) from deliveries where source = $2)::int as deliveries`,
        [WORKFLOW, SOURCE],
      );
      return rows[0] as { done: number; runs: number; events: number; attempts: number; deliveries: number };
    };
    const deliver = async (i: number) => {
      const body = { title: `${WORDS[i % WORDS.length]} ${i}`, body: WORDS.slice(0, 20).join(" ") };
      const raw = Buffer.from(JSON.stringify(body));
      const headers = await signers.github({
        rawBody: raw,
        secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
        now: Date.now(),
        id: randomUUID(),
      });
      const res = await pool.request({
        method: "POST",
        path: `/webhooks/in/${SOURCE}`,
        headers: { "content-type": "application/json", ...headers },
        body: raw,
      });
      const text = await res.body.text();
      if (res.statusCode !== 202)
        throw new Error(`e2e delivery answered ${res.statusCode} ${text.slice(0, 200)}`);
    };
    // One warm-up run (isolate, Durable Objects, first pool), landed before the clock starts.
    await deliver(-1);
    while ((await count()).done < 1) {
      if (Date.now() > opts.deadline) throw new Error("e2e: the warm-up run never landed in Postgres");
      await sleep(100);
    }
    const before = await count();
    log(`e2e: ${opts.deliveries} deliveries, ${opts.inFlight} in flight`);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: opts.inFlight }, async () => {
        while (next < opts.deliveries) await deliver(next++);
      }),
    );
    let now = await count();
    while (now.done - before.done < opts.deliveries && Date.now() < opts.deadline) {
      await sleep(50);
      now = await count();
    }
    const ms = performance.now() - started;
    const rows =
      now.runs +
      now.events +
      now.attempts +
      now.deliveries -
      (before.runs + before.events + before.attempts + before.deliveries);
    const rowsPerSec = (rows * 1000) / ms;
    return {
      describe: `${opts.deliveries} webhooks → runs → EVENTS consumer → Postgres (workerd)`,
      note: `Miniflare, Neon driver inside workerd through the proxy, ${opts.inFlight} deliveries in flight; timed from the first delivery to the last run completed in Postgres; rows landed = new rows in the four tables (a run upserted several times counts once, unlike the rows/s above); the whole pipeline, so bounded by the engine as much as by the write`,
      deliveries: opts.deliveries,
      runsLanded: now.done - before.done,
      rowsLanded: rows,
      ms,
      rowsPerSec,
      vsSingleRow: rowsPerSec / opts.singleRowRps,
    };
  } finally {
    await pool.close();
    await db.end();
  }
}
