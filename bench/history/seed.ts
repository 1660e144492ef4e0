/**
 * The bench's own database on the local Postgres: created fresh (dropped first if a previous run left it),
 * migrated with `hookline db migrate`'s code, seeded in SQL (`generate_series`, so 100,000 runs take seconds),
 * dropped at the end.
 */
import pg from "pg";
import { migrateHistory } from "../../src/cli/db.ts";
import { SOURCES, WORDS, WORKFLOWS } from "./events.ts";

export const BENCH_DATABASE = "hookline_bench";

/** `url` with another database name. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(baseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(baseUrl, "postgres") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops and re-creates the bench database, then migrates it; returns its URL. */
export async function createBenchDatabase(baseUrl: string): Promise<string> {
  await admin(baseUrl, async (c) => {
    await c.query(`drop database if exists ${BENCH_DATABASE} with (force)`);
    await c.query(`create database ${BENCH_DATABASE}`);
  });
  const url = withDatabase(baseUrl, BENCH_DATABASE);
  await migrateHistory(url);
  return url;
}

export async function dropBenchDatabase(baseUrl: string): Promise<void> {
  await admin(baseUrl, (c) => c.query(`drop database if exists ${BENCH_DATABASE} with (force)`));
}

export interface SeedShape {
  runs: number;
  /** Newest seeded run (epoch ms); runs spread over the `days` before it. */
  now: number;
  days: number;
  /** One run in `detailEvery` gets 3 step attempts and 8 events. */
  detailEvery: number;
}

export interface SeedResult {
  shape: SeedShape;
  runs: number;
  attempts: number;
  events: number;
  ms: number;
  /** Rows per status, workflow and source: what the filters below select from. */
  byStatus: Record<string, number>;
  tableMb: number;
}

const lit = (xs: readonly string[]) => `array[${xs.map((x) => `'${x.replaceAll("'", "''")}'`).join(",")}]`;

/**
 * Runs with a realistic spread: status mostly completed (80 % completed, 8 % failed, 4 % running, 3 % waiting,
 * 3 % cancelled, 2 % governor_breached), workflows skewed (the first is most common), sources uniform,
 * started_at uniform over `days`, input summaries of webhook-like JSON with 12–16 words from WORDS and an
 * order number (`order 100042`), outputs of 20 words, errors on failed runs. `setseed` keeps it reproducible.
 */
export async function seedRuns(url: string, shape: SeedShape): Promise<SeedResult> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const span = shape.days * 86_400_000;
    const words = lit(WORDS);
    const nw = WORDS.length;
    const w = `(${words})[1 + floor(random() * ${nw})::int]`;
    const sentence = (n: string) => `(select string_agg(${w}, ' ') from generate_series(1, ${n}) k)`;
    await client.query("select setseed(0.42)");
    await client.query(`
insert into runs (run_id, workflow_id, workflow_version, status, status_at, source, delivery_key, input_summary,
  output, error, input_tokens, output_tokens, cost_usd, steps_run, started_at, updated_at, finished_at)
select
  'run-' || lpad(g.i::text, 7, '0') || '-' || substr(md5(g.i::text), 1, 12),
  (${lit(WORKFLOWS)})[1 + floor(${WORKFLOWS.length} * g.r2 * g.r2)::int],
  '3',
  g.status,
  g.at + g.dur,
  (${lit(SOURCES)})[1 + floor(${SOURCES.length} * g.r3)::int],
  'd-' || md5(g.i::text),
  json_build_object('action', 'opened', 'title', ${sentence("4 + g.i % 3")}, 'body',
    ${sentence("8 + g.i % 5")} || ' order ' || (100000 + g.i)::text,
    'sender', json_build_object('login', 'user' || (g.i % 5000)::text))::text,
  case when g.status in ('completed', 'governor_breached')
    then jsonb_build_object('text', ${sentence("20 + g.i % 2")}) end,
  case when g.status = 'failed' then 'lookup failed after 3 attempts: ' || ${sentence("3 + g.i % 2")} end,
  floor(g.r5 * 4000)::int,
  floor(g.r5 * 800)::int,
  g.r5 * 0.002,
  5,
  g.at,
  g.at + g.dur,
  case when g.status in ('running', 'waiting') then null else g.at + g.dur end
from (
  select i, r2, r3, r5, ${shape.now} - floor(r4 * ${span})::bigint as at, floor(500 + r5 * 4000)::bigint as dur,
    case when r1 < 0.80 then 'completed' when r1 < 0.88 then 'failed' when r1 < 0.92 then 'running'
      when r1 < 0.95 then 'waiting' when r1 < 0.98 then 'cancelled' else 'governor_breached' end as status
  from (select i, random() r1, random() r2, random() r3, random() r4, random() r5
        from generate_series(1, ${shape.runs}) i) x
) g`);
    // Step attempts and events for a fraction of the runs (the trace and the event log beside the list).
    await client.query(`
insert into step_attempts (run_id, attempt_id, step_id, attempt, kind, status, started_at, finished_at,
  latency_ms, provider, model, input_tokens, output_tokens, cost_usd, output)
select r.run_id, s.step || '#1', s.step, 1, s.kind, 'succeeded', r.started_at + s.n * 100,
  r.started_at + s.n * 100 + 90, 90, case when s.kind = 'llm' then 'openai' end,
  case when s.kind = 'llm' then 'gpt-4o-mini' end, 300, 80, 0.0001, jsonb_build_object('text', r.run_id)
from runs r
cross join (values (0, 'classify', 'llm'), (1, 'lookup', 'http'), (2, 'draft', 'llm')) as s(n, step, kind)
where hashtext(r.run_id) % ${shape.detailEvery} = 0`);
    await client.query(`
insert into events (id, v, type, run_id, workflow_id, source, delivery_key, at, data)
select md5(r.run_id || e.n::text), 1, e.type, r.run_id, r.workflow_id, r.source, r.delivery_key,
  r.started_at + e.n * 50, jsonb_build_object('state', r.status, 'at', r.started_at + e.n * 50)
from runs r
cross join (values (0, 'run.state'), (1, 'step.start'), (2, 'model.call'), (3, 'step.finish'),
  (4, 'step.start'), (5, 'step.finish'), (6, 'step.start'), (7, 'run.state')) as e(n, type)
where hashtext(r.run_id) % ${shape.detailEvery} = 0`);
    await client.query("vacuum analyze runs");
    await client.query("vacuum analyze step_attempts");
    await client.query("vacuum analyze events");
    const count = async (table: string) =>
      Number((await client.query(`select count(*)::int as n from ${table}`)).rows[0].n);
    const byStatus = Object.fromEntries(
      (await client.query("select status, count(*)::int as n from runs group by 1 order by 1")).rows.map(
        (r: { status: string; n: number }) => [r.status, r.n],
      ),
    );
    const size = await client.query("select pg_total_relation_size('runs')::bigint as b");
    return {
      shape,
      runs: await count("runs"),
      attempts: await count("step_attempts"),
      events: await count("events"),
      ms: performance.now() - started,
      byStatus,
      tableMb: Math.round(Number(size.rows[0].b) / 1e5) / 10,
    };
  } finally {
    await client.end();
  }
}
