/** The console summary and the "History (Postgres)" section of docs/benchmarks.md for `npm run bench:history`. */
import { consoleTable, markdownTable } from "../lib/report.ts";
import { f0, f1, f2, verdict } from "../lib/stats.ts";
import type { E2eResult } from "./e2e.ts";
import { type ListResult, P95_TARGET_MS } from "./list.ts";
import type { SeedResult } from "./seed.ts";
import { WRITE_TARGET_RATIO, type WriteResult } from "./write.ts";

export interface HistoryRaw {
  date: string;
  durationSec: number;
  source: { ref: string; commit: string; dirty: boolean };
  machine: {
    cpus: number;
    cpuModel: string;
    loadavgAtStart: number[];
    loadavgAtEnd: number[];
    node: string;
    postgres: string;
  };
  method: {
    writeRounds: number;
    writeDurationMs: number;
    batchSize: number;
    listRounds: number;
    listWarmup: number;
    listRequests: number;
    workerdRequests: number;
  };
  seed: SeedResult;
  write: WriteResult;
  e2e: E2eResult | null;
  list: ListResult[];
  /** The same filters on workerd (null: `--no-workerd`). */
  listWorkerd: ListResult[] | null;
  /** A new Neon pool + `select 1` through the proxy, from Node (ms): what each Workers request pays first. */
  connect: { n: number; p50: number; p95: number } | null;
}

const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : "–");

function writeRows(w: WriteResult): string[][] {
  const [ours] = w.targets;
  return [
    [
      "target",
      "rows/s",
      "event rows/s",
      "ms/statement",
      "rows/s ÷ single-row loop",
      `≥${WRITE_TARGET_RATIO}×`,
    ],
    ...w.targets.map((t) => [
      t.id,
      f0(t.rowsPerSec),
      f0(t.eventsPerSec),
      f2(t.msPerStatement),
      x(t.rowsPerSec / (w.targets[1]?.rowsPerSec ?? Number.NaN)),
      t === ours ? verdict(w.ratio >= WRITE_TARGET_RATIO) : "",
    ]),
  ];
}

function listRows(list: ListResult[]): string[][] {
  const node = list.some((r) => r.store);
  return [
    [
      "filter",
      "rows",
      "Hookline p50 / p95 / p99 ms",
      "bare Hono p50 / p95 / p99 ms",
      "p95 ÷ bare",
      ...(node ? ["store only p50 / p95 ms", "SQL exec ms"] : []),
      `p95 ≤ ${P95_TARGET_MS} ms`,
    ],
    ...list.map((r) => [
      r.id,
      `${r.rows}${r.hasNext ? "+" : ""}`,
      `${f1(r.hookline.p50)} / ${f1(r.hookline.p95)} / ${f1(r.hookline.p99)}`,
      `${f2(r.bare.p50)} / ${f2(r.bare.p95)} / ${f2(r.bare.p99)}`,
      x(r.p95VsBare),
      ...(node
        ? [r.store ? `${f1(r.store.p50)} / ${f1(r.store.p95)}` : "", f1(r.explain?.ms ?? Number.NaN)]
        : []),
      verdict(r.pass),
    ]),
  ];
}

const worstOf = (list: ListResult[]) => list.reduce((a, b) => (b.hookline.p95 > a.hookline.p95 ? b : a));

function e2eRows(e: E2eResult): string[][] {
  return [
    ["path", "deliveries", "runs landed", "rows landed", "rows/s", "÷ single-row loop"],
    [e.describe, f0(e.deliveries), f0(e.runsLanded), f0(e.rowsLanded), f0(e.rowsPerSec), x(e.vsSingleRow)],
  ];
}

export function consoleSummary(raw: HistoryRaw): string {
  const parts = [
    `EVENTS → Postgres (Neon driver over the WebSocket proxy, 1 statement in flight):\n${consoleTable(writeRows(raw.write))}`,
    `GET /runs over ${raw.seed.runs} runs (Node adapter, 1 request in flight, limit 100):\n${consoleTable(listRows(raw.list))}`,
  ];
  if (raw.e2e) parts.splice(1, 0, `End to end (${raw.e2e.describe}):\n${consoleTable(e2eRows(raw.e2e))}`);
  if (raw.listWorkerd) {
    parts.push(
      `GET /runs on workerd (Neon driver through the proxy, a pool per request):\n${consoleTable(listRows(raw.listWorkerd))}`,
    );
  }
  return parts.join("\n\n");
}

export function docSection(raw: HistoryRaw): string {
  const m = raw.machine;
  const w = raw.write;
  const listPass = raw.list.every((r) => r.pass);
  const worst = worstOf(raw.list);
  const lw = raw.listWorkerd;
  const perBatch = w.rowsPerBatch;
  const plans = raw.list
    .map((r) => `- \`${r.id}\` (${f1(r.explain?.ms ?? Number.NaN)} ms): ${r.explain?.plan.join(" → ") ?? ""}`)
    .join("\n");
  return `## History (Postgres)

\`npm run bench:history\` (bench/history.ts), ${raw.date.slice(0, 10)}, ${raw.durationSec} s, working tree @
\`${raw.source.commit.slice(0, 10)}\`${raw.source.dirty ? " (uncommitted changes)" : ""}. ${m.cpus} × ${m.cpuModel},
load average ${m.loadavgAtStart.join(" / ")} at the start and ${m.loadavgAtEnd.join(" / ")} at the end (1 / 5 / 15 min): a
shared machine, so the ratios measured in the same run are what count. Node ${m.node}, ${m.postgres} on
127.0.0.1:5432 (default settings: every commit waits for the WAL flush). Everything runs on this machine; the bench
creates the database \`hookline_bench\`, migrates it with \`hookline db migrate\`'s code, and drops it at the end.

\`\`\`sh
npm run bench:history                      # ~2.5 min
npx node bench/history.ts --write-rounds 1 --list-rounds 1 --no-workerd --no-write   # a quick look
\`\`\`

### EVENTS → Postgres throughput: ${verdict(w.ratio >= WRITE_TARGET_RATIO)} (${x(w.ratio)} the single-row loop; target ≥ ${WRITE_TARGET_RATIO}×)

The production driver: \`@neondatabase/serverless\` (\`neonPool\`, \`ws\` as its WebSocket) through
\`startPgWsProxy\` (its own process) to Postgres, one statement in flight. Ours is \`historyStore(…).write(batch)\`
with ${raw.method.batchSize}-event batches cut from an interleaved stream of runs shaped like the engine's
(\`run.state\` started with \`input_summary\` and completed with \`output\` and \`usage\`, \`step.start\`,
\`step.finish\` with outputs, \`model.call\`, the session's \`delivery.seen\`); a run's events span several
batches, so runs and step attempts are really merged. A batch wrote ${perBatch.events} event rows,
${perBatch.runs} run rows, ${perBatch.attempts} step-attempt rows and ${perBatch.deliveries} delivery rows (last
window); rows/s counts all of them. The baseline is a loop of single-row \`INSERT INTO events … ON CONFLICT
(id) DO NOTHING\` over the same pool; the multi-row \`VALUES\` insert (${raw.method.batchSize} rows per statement,
events table only) is context. ${raw.method.writeRounds} rounds × ${raw.method.writeDurationMs / 1000} s per
target, order rotated, medians. Counting event rows alone, ours is ${x(w.eventsRatio)} the loop. Writing the
last batch again added ${w.redeliveryEventsWritten} event rows.

${markdownTable(writeRows(w))}

The single-row loop pays one round trip and one commit (WAL flush) per row; ours pays one per batch, which is
where the ratio comes from. Against the multi-row insert (also one commit per batch) ours writes
${x((w.targets[0]?.rowsPerSec ?? Number.NaN) / (w.targets[2]?.rowsPerSec ?? Number.NaN))} the rows per second
while also folding runs, attempts and deliveries.
${
  raw.e2e
    ? `
End to end, in workerd (${raw.e2e.note}):

${markdownTable(e2eRows(raw.e2e))}
`
    : "\nEnd to end in workerd: not run this time (`--no-workerd`).\n"
}
### \`GET /runs\` with ${raw.seed.runs.toLocaleString("en-US")} runs: ${verdict(listPass)} (worst p95 ${f1(worst.hookline.p95)} ms, \`${worst.id}\`; target ≤ ${P95_TARGET_MS} ms)

Seeded in SQL in ${f1(raw.seed.ms / 1000)} s: ${raw.seed.runs} runs (${Object.entries(raw.seed.byStatus)
    .map(([k, v]) => `${v} ${k}`)
    .join(
      ", ",
    )}; 8 workflows, skewed; 6 sources; started over the ${raw.seed.shape.days} days before the run; input summaries of webhook JSON with
12–16 words and an order number; outputs and errors), ${raw.seed.attempts} step attempts and
${raw.seed.events} events for one run in ${raw.seed.shape.detailEvery}; the runs table with its indexes is ${raw.seed.tableMb} MB. The
app is \`createNodeHookline\` with \`DATABASE_URL\` (history over node-postgres) on @hono/node-server in its own
process; the baseline is a bare Hono \`GET /runs\` (an empty page, no database) on the same server in its own
process. One request at a time, default page size (100), ${raw.method.listRounds} rounds × (${raw.method.listWarmup}
warm-up + ${raw.method.listRequests} timed) per target and filter, the targets interleaved request by request. "store only" is
\`listRuns\` called in the bench process over node-postgres (no HTTP); "SQL exec ms" is \`EXPLAIN ANALYZE\`'s
execution time of the exact statement the store sent. "rows" ends in + when there is a next page.

${markdownTable(listRows(raw.list))}

Each list index ends in the list's \`ORDER BY started_at DESC, run_id DESC\` exactly (migration 0001): a page
walks an index in order and stops after 101 rows; with \`DESC NULLS LAST\` indexes (migration 0000) the
unfiltered, single-filter and common-word pages sorted every matching row. Plans (top nodes, actual rows):

${plans}
${
  lw
    ? `
#### On workerd: ${verdict(lw.every((r) => r.pass))} (worst p95 ${f1(worstOf(lw).hookline.p95)} ms, \`${worstOf(lw).id}\`)

The same filters and page size against Hookline in workerd (Miniflare; bundled with \`wrangler deploy
--dry-run\`), history over the Neon driver through the proxy process: each request opens its own pool (a
WebSocket, a Postgres connection and its startup), as on Workers. The baseline is bare Hono on the same workerd
(bench/baselines/bare-hono.ts, \`GET /runs\` answering an empty page). One round × (${raw.method.listWarmup}
warm-up + ${raw.method.workerdRequests} timed) per target and filter, before any write.
${
  raw.connect
    ? `
Most of the gap to Node is that connection: opening a Neon pool through the proxy and running \`select 1\`
took p50 ${f1(raw.connect.p50)} / p95 ${f1(raw.connect.p95)} ms (from Node, ${raw.connect.n} times, same run),
which a Node process pays once (its pool keeps connections); \`q rare\` (one row) shows the floor. The proxy and
Postgres are local here; against Neon the handshake crosses the network, which this bench does not measure.
`
    : ""
}
${markdownTable(listRows(lw))}
`
    : "\nOn workerd: not run this time (`--no-workerd`).\n"
}`;
}
