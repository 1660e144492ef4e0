/**
 * Part 2: `GET /runs` with filters over the seeded history, one request at a time, through the real app
 * (the Node adapter in its own process, history over node-postgres) beside a bare Hono `GET /runs` on the same
 * @hono/node-server in the same run. Also, as context, the store's `listRuns` called in this process (no
 * HTTP) and `EXPLAIN ANALYZE` of the exact SQL it sent (captured with drizzle's logger).
 */
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { Pool } from "undici";
import { decodeCursor } from "../../src/history/cursor.ts";
import { historyStore, type RunFilter } from "../../src/history/store.ts";
import { TEST_BINDINGS } from "../../test/fixtures/secrets.ts";
import { pct } from "../lib/stats.ts";

export interface ListCase {
  id: string;
  describe: string;
  /** The query string (without `?`); `cursor` is filled in from page 1 when `page2` is set. */
  query: Record<string, string>;
  /** Fetch page 1 once and time page 2 (its nextCursor). */
  page2?: boolean;
}

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ListResult {
  id: string;
  describe: string;
  path: string;
  /** Runs on the timed page (and whether a next page exists). */
  rows: number;
  hasNext: boolean;
  hookline: Latency;
  bare: Latency;
  /** `listRuns` in the bench process (Node rows only). */
  store: Latency | null;
  /** hookline p95 ÷ bare p95. */
  p95VsBare: number;
  pass: boolean;
  /** From EXPLAIN (ANALYZE) of the store's SQL: execution ms and the plan's top lines (Node rows only). */
  explain: { ms: number; plan: string[] } | null;
}

export const P95_TARGET_MS = 50;

const ISO = (ms: number) => new Date(ms).toISOString();

/** The filters, over data seeded up to `now` (see bench/history/seed.ts). */
export function listCases(now: number): ListCase[] {
  const day = 86_400_000;
  return [
    { id: "newest", describe: "no filter, newest first", query: {} },
    { id: "status", describe: "status=completed (80 % of runs)", query: { status: "completed" } },
    { id: "workflow", describe: "workflow=triage-issue (35 % of runs)", query: { workflow: "triage-issue" } },
    {
      id: "status+workflow",
      describe: "status=failed & workflow=refund-check",
      query: { status: "failed", workflow: "refund-check" },
    },
    {
      id: "status+workflow p2",
      describe: "the same, page 2 (cursor)",
      query: { status: "failed", workflow: "refund-check" },
      page2: true,
    },
    {
      id: "rare status+workflow",
      describe: "status=governor_breached & workflow=translate-reply",
      query: { status: "governor_breached", workflow: "translate-reply" },
    },
    {
      id: "source+since/until",
      describe: "source=stripe, one day a week ago",
      query: { source: "stripe", since: ISO(now - 8 * day), until: ISO(now - 7 * day) },
    },
    { id: "q common", describe: 'q="refund" (a common word)', query: { q: "refund" } },
    { id: "q two words", describe: 'q="invoice overdue" (both words)', query: { q: "invoice overdue" } },
    { id: "q rare", describe: 'q="100042" (one order number)', query: { q: "100042" } },
    {
      id: "q+status p2",
      describe: 'q="payment" & status=completed, page 2',
      query: { q: "payment", status: "completed" },
      page2: true,
    },
  ];
}

const pathOf = (query: Record<string, string>) => {
  const qs = new URLSearchParams(query).toString();
  return qs ? `/runs?${qs}` : "/runs";
};

function latency(samples: number[]): Latency {
  return {
    n: samples.length,
    p50: pct(samples, 0.5),
    p95: pct(samples, 0.95),
    p99: pct(samples, 0.99),
    max: Math.max(...samples),
  };
}

const AUTH = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };

async function get(pool: Pool, path: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const res = await pool.request({ method: "GET", path, headers: AUTH });
  const body = await res.body.text();
  return { status: res.statusCode, body, ms: performance.now() - started };
}

/** Resolves page 2 cases to a concrete path (page 1's nextCursor), checking every answer is a real page. */
async function resolvePath(hl: Pool, c: ListCase): Promise<{ path: string; rows: number; hasNext: boolean }> {
  let path = pathOf(c.query);
  if (c.page2) {
    const first = await get(hl, path);
    const cursor = (JSON.parse(first.body) as { nextCursor: string | null }).nextCursor;
    if (first.status !== 200 || !cursor)
      throw new Error(`${c.id}: page 1 has no nextCursor (${first.status})`);
    path = pathOf({ ...c.query, cursor });
  }
  const res = await get(hl, path);
  if (res.status !== 200)
    throw new Error(`${c.id}: GET ${path} answered ${res.status} ${res.body.slice(0, 200)}`);
  const body = JSON.parse(res.body) as { runs: unknown[]; nextCursor: string | null; from: string };
  if (body.from !== "postgres") throw new Error(`${c.id}: served from ${body.from}, not postgres`);
  return { path, rows: body.runs.length, hasNext: body.nextCursor !== null };
}

/** The store filter the handler builds from a query (the same parsing, simplified: ISO times, default limit). */
function filterOf(query: Record<string, string>): RunFilter {
  const cursor = query.cursor ? (decodeCursor(query.cursor) ?? undefined) : undefined;
  return {
    limit: 100,
    status: query.status,
    workflow: query.workflow,
    source: query.source,
    since: query.since ? Date.parse(query.since) : undefined,
    until: query.until ? Date.parse(query.until) : undefined,
    q: query.q,
    cursor,
  };
}

export interface ListOptions {
  warmup: number;
  requests: number;
  rounds: number;
}

/**
 * Per case and round: `warmup` untimed requests to each target, then `requests` timed rounds of one request
 * to each target (one at a time, order alternating), so drift on the machine hits all alike. With `dbUrl`, also the store alone and
 * EXPLAIN ANALYZE. Returns one result per case.
 */
export async function measureLists(
  urls: { hookline: URL; bare: URL },
  dbUrl: string | undefined,
  cases: ListCase[],
  opts: ListOptions,
  log: (m: string) => void,
): Promise<ListResult[]> {
  const hl = new Pool(urls.hookline, { connections: 1 });
  const bare = new Pool(urls.bare, { connections: 1 });
  const pgPool = dbUrl ? new pg.Pool({ connectionString: dbUrl, max: 1 }) : undefined;
  let lastSql: { sql: string; params: unknown[] } | undefined;
  const store = pgPool
    ? historyStore(
        drizzle({
          client: pgPool,
          logger: {
            logQuery(sql, params) {
              lastSql = { sql, params };
            },
          },
        }),
      )
    : undefined;
  const results: ListResult[] = [];
  try {
    for (const c of cases) {
      const { path, rows, hasNext } = await resolvePath(hl, c);
      const filter = filterOf(Object.fromEntries(new URL(path, "http://x").searchParams));
      const samples = { hookline: [] as number[], bare: [] as number[], store: [] as number[] };
      const targets: [keyof typeof samples, () => Promise<number>][] = [
        [
          "hookline",
          async () => {
            const r = await get(hl, path);
            if (r.status !== 200) throw new Error(`${c.id}: ${r.status} ${r.body.slice(0, 200)}`);
            return r.ms;
          },
        ],
        [
          "bare",
          async () => {
            const r = await get(bare, path);
            if (r.status !== 200) throw new Error(`bare: ${r.status}`);
            return r.ms;
          },
        ],
      ];
      if (store) {
        targets.push([
          "store",
          async () => {
            const started = performance.now();
            await store.listRuns(filter);
            return performance.now() - started;
          },
        ]);
      }
      // Targets interleaved request by request (order alternating), so a burst of load on this shared machine
      // lands on all of them alike.
      for (let round = 0; round < opts.rounds; round++) {
        for (const [, once] of targets) for (let i = 0; i < opts.warmup; i++) await once();
        for (let i = 0; i < opts.requests; i++) {
          const order = (i + round) % 2 ? [...targets].reverse() : targets;
          for (const [name, once] of order) samples[name].push(await once());
        }
      }
      // The exact statement the store sent for this filter, explained.
      lastSql = undefined;
      await store?.listRuns(filter);
      const sent = lastSql as { sql: string; params: unknown[] } | undefined;
      let explain: ListResult["explain"] = null;
      if (sent && pgPool) {
        const { rows: planRows } = await pgPool.query(`explain (analyze, buffers) ${sent.sql}`, sent.params);
        const lines = planRows.map((r: Record<string, string>) => r["QUERY PLAN"] ?? "");
        const exec = lines.find((l) => l.startsWith("Execution Time"));
        explain = {
          ms: exec ? Number(/([\d.]+) ms/.exec(exec)?.[1]) : Number.NaN,
          // Plan nodes only, as "Index Scan using runs_started on runs (101 rows)".
          plan: lines
            .filter((l) => /->|^\S/.test(l) && !/^(Planning|Execution)/.test(l))
            .slice(0, 6)
            .map((l) => {
              const actual = /actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/.exec(l);
              const node = l.replace(/^\s*->\s*/, "").replace(/\s*\(cost=.*$/, "");
              return actual ? `${node} (${actual[1]} rows)` : node;
            }),
        };
      }
      const h = latency(samples.hookline);
      const b = latency(samples.bare);
      const s = store ? latency(samples.store) : null;
      results.push({
        id: c.id,
        describe: c.describe,
        path,
        rows,
        hasNext,
        hookline: h,
        bare: b,
        store: s,
        p95VsBare: h.p95 / b.p95,
        pass: h.p95 <= P95_TARGET_MS,
        explain,
      });
      log(
        `${c.id.padEnd(22)} ${String(rows).padStart(3)} rows  hookline p50/p95 ${h.p50.toFixed(1)}/${h.p95.toFixed(1)} ms  bare ${b.p50.toFixed(2)}/${b.p95.toFixed(2)}${s ? `  store ${s.p50.toFixed(1)}/${s.p95.toFixed(1)}` : ""}${explain ? `  explain ${explain.ms} ms` : ""}`,
      );
    }
  } finally {
    await hl.close();
    await bare.close();
    await pgPool?.end();
  }
  return results;
}
