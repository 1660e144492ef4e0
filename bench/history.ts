/**
 * `npm run bench:history`: run history in Postgres, each measure beside a baseline measured in the same run.
 *
 *   npm run bench:history        # ~3 min: seed 100,000 runs, GET /runs × 11 filters on Node and workerd,
 *                                # writes 3 rounds × 3 targets, e2e in workerd
 *   npx node bench/history.ts --list-rounds 1 --write-rounds 1 --no-workerd --no-write    # a quick look
 *
 * Needs the local Postgres (127.0.0.1:5432, found or started like the tests do: test/servers/postgres.ts).
 * Creates the database `hookline_bench` (dropped first if a previous run left it), migrates it with
 * `hookline db migrate`'s code, and drops it at the end (`--keep` leaves it for EXPLAIN by hand).
 *
 * 1. GET /runs (bench/history/list.ts) over 100,000 seeded runs (bench/history/seed.ts): the Node adapter with
 *    DATABASE_URL vs a bare Hono GET /runs, each in its own process (bench/node/server.ts); p95 ≤ 50 ms. Then
 *    the same on workerd (bench/history/workerd.ts: Neon driver through the proxy) vs bare Hono on workerd.
 * 2. EVENTS → Postgres (bench/history/write.ts): `historyStore.write(batch)` over the Neon driver through the
 *    WebSocket proxy (its own process) vs a single-row INSERT … ON CONFLICT loop over the same pool; ≥ 0.5×.
 * 3. End to end in workerd (bench/history/e2e.ts): webhooks → runs → EVENTS consumer → Postgres.
 * `--no-workerd` skips the workerd rows (1 on workerd, and 3).
 * Prints tables, writes bench-results/history.json and the "History (Postgres)" section of docs/benchmarks.md.
 * Exits 1 only if the run is invalid (a failed request or check); a MISS is reported, not an error.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { findOrStartPostgres } from "../test/servers/postgres.ts";
import { type E2eResult, measureE2e } from "./history/e2e.ts";
import { type ListResult, listCases, measureLists } from "./history/list.ts";
import { consoleSummary, docSection, type HistoryRaw } from "./history/report.ts";
import { createBenchDatabase, dropBenchDatabase, seedRuns } from "./history/seed.ts";
import { startWorkerd, type Workerd } from "./history/workerd.ts";
import { measureConnect, measureWrites, type ProxyChild, startProxyChild } from "./history/write.ts";
import { formatDoc, writeDocSection } from "./lib/report.ts";
import { describeSource } from "./lib/scratch.ts";
import { pct } from "./lib/stats.ts";
import { type Child, startChild } from "./node/child.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "100000" },
    "list-rounds": { type: "string", default: "2" },
    "list-warmup": { type: "string", default: "10" },
    "list-requests": { type: "string", default: "60" },
    "write-rounds": { type: "string", default: "3" },
    "write-duration": { type: "string", default: "2500" },
    "batch-size": { type: "string", default: "100" },
    "workerd-requests": { type: "string", default: "50" },
    "e2e-deliveries": { type: "string", default: "120" },
    "e2e-in-flight": { type: "string", default: "8" },
    "no-workerd": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
  },
});
/** Hard bound on the whole bench: the e2e wait checks it. */
const HARD_LIMIT_MS = 5 * 60_000;
const TMP_BASE = process.env.BENCH_TMPDIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
/** The newest seeded run (a minute ago; runs spread over SEED_DAYS, inside the default 30-day retention). */
const SEED_NOW = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const SEED_DAYS = 28;
// Miniflare stays offline: no request.cf lookup.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

const t0 = Date.now();
const log = (msg: string) => console.log(`[bench:history] ${msg}`);

async function postgresVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query("show server_version");
    return `PostgreSQL ${String(rows[0].server_version).split(" ")[0]}`;
  } finally {
    await c.end();
  }
}

async function main(): Promise<number> {
  const found = await findOrStartPostgres();
  if (!("url" in found)) {
    log(`no Postgres: ${found.skipped}`);
    return 1;
  }
  const loadavgAtStart = loadavg().map((l) => Number(l.toFixed(2)));
  const startedAt = new Date();
  const tmp = mkdtempSync(join(TMP_BASE, "hookline-bench-history-"));
  const children: (Child | ProxyChild)[] = [];
  let workerd: Workerd | undefined;
  let created = false;
  try {
    const source = describeSource(ROOT);
    log(`working tree @ ${source.commit.slice(0, 10)}${source.dirty ? " (uncommitted changes)" : ""}`);
    const dbUrl = await createBenchDatabase(found.url);
    created = true;
    const runs = Number(args.runs);
    log(`seeding ${runs} runs into hookline_bench …`);
    const seed = await seedRuns(dbUrl, { runs, now: SEED_NOW, days: SEED_DAYS, detailEvery: 10 });
    log(
      `seeded ${seed.runs} runs, ${seed.attempts} attempts, ${seed.events} events in ${(seed.ms / 1000).toFixed(1)} s (runs: ${seed.tableMb} MB)`,
    );

    // 1. GET /runs: reads first, over exactly the seeded rows.
    const bare = await startChild("bare", { kind: "bare" });
    children.push(bare);
    const hookline = await startChild("hookline", {
      kind: "hookline",
      envName: "bench",
      dataDir: join(tmp, "node"),
      secrets: { DATABASE_URL: dbUrl },
    });
    children.push(hookline);
    const listOpts = {
      rounds: Math.max(1, Number(args["list-rounds"])),
      warmup: Number(args["list-warmup"]),
      requests: Math.max(1, Number(args["list-requests"])),
    };
    log(
      `part 1: GET /runs, ${listOpts.rounds} round(s) × (${listOpts.warmup} + ${listOpts.requests}) per target and filter`,
    );
    const list = await measureLists(
      { hookline: hookline.url, bare: bare.url },
      dbUrl,
      listCases(SEED_NOW),
      listOpts,
      log,
    );
    await hookline.stop();
    await bare.stop();

    // The proxy serves workerd and part 2; its own process, so its event loop is nobody else's.
    const proxy = await startProxyChild();
    children.push(proxy);

    // 1 on workerd: before any write, so over the same 100,000 runs.
    let listWorkerd: ListResult[] | null = null;
    let connect: HistoryRaw["connect"] = null;
    if (!args["no-workerd"]) {
      workerd = await startWorkerd({ root: ROOT, tmp, dbUrl, proxyUrl: proxy.url, log });
      const wOpts = { ...listOpts, rounds: 1, requests: Math.max(1, Number(args["workerd-requests"])) };
      log(
        `part 1 on workerd: GET /runs, 1 round × (${wOpts.warmup} + ${wOpts.requests}) per target and filter`,
      );
      listWorkerd = await measureLists(workerd.urls, undefined, listCases(SEED_NOW), wOpts, log);
      const c = await measureConnect(dbUrl, proxy.url, 50);
      connect = { n: c.length, p50: pct(c, 0.5), p95: pct(c, 0.95) };
      log(
        `a new Neon pool + select 1 through the proxy: p50 ${connect.p50.toFixed(1)} / p95 ${connect.p95.toFixed(1)} ms`,
      );
    }

    // 2. Writes over the Neon driver through the proxy.
    const writeOpts = {
      rounds: Math.max(1, Number(args["write-rounds"])),
      durationMs: Number(args["write-duration"]),
      batchSize: Number(args["batch-size"]),
      maxBatches: 400,
    };
    log(
      `part 2: EVENTS writes, ${writeOpts.rounds} round(s) × ${writeOpts.durationMs} ms per target (proxy pid ${proxy.pid})`,
    );
    const write = await measureWrites(dbUrl, proxy.url, writeOpts, log);

    // 3. The consumer in workerd, end to end.
    let e2e: E2eResult | null = null;
    if (workerd) {
      e2e = await measureE2e({
        url: workerd.urls.hookline,
        dbUrl,
        deliveries: Number(args["e2e-deliveries"]),
        inFlight: Number(args["e2e-in-flight"]),
        singleRowRps: write.targets[1]?.rowsPerSec ?? Number.NaN,
        deadline: t0 + HARD_LIMIT_MS,
        log,
      });
      log(
        `e2e: ${e2e.runsLanded}/${e2e.deliveries} runs landed, ${e2e.rowsLanded} rows in ${Math.round(e2e.ms)} ms (${Math.round(e2e.rowsPerSec)} rows/s)`,
      );
    }
    await workerd?.dispose();
    workerd = undefined;
    await proxy.stop();

    const raw: HistoryRaw = {
      date: startedAt.toISOString(),
      durationSec: Math.round((Date.now() - t0) / 1000),
      source,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        loadavgAtStart,
        loadavgAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
        node: process.version,
        postgres: await postgresVersion(dbUrl),
      },
      method: {
        writeRounds: writeOpts.rounds,
        writeDurationMs: writeOpts.durationMs,
        batchSize: writeOpts.batchSize,
        listRounds: listOpts.rounds,
        listWarmup: listOpts.warmup,
        listRequests: listOpts.requests,
        workerdRequests: Number(args["workerd-requests"]),
      },
      seed,
      write,
      e2e,
      list,
      listWorkerd,
      connect,
    };
    const valid = write.redeliveryEventsWritten === 0 && (e2e === null || e2e.runsLanded === e2e.deliveries);
    console.log(`\n${consoleSummary(raw)}\n`);
    if (!valid) log("INVALID RUN: a redelivered batch wrote events again, or e2e runs did not all land");
    if (!args["no-write"]) {
      const jsonPath = join(ROOT, "bench-results", "history.json");
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify({ ...raw, valid }, null, 2)}\n`);
      const doc = join(ROOT, "docs", "benchmarks.md");
      writeDocSection(doc, docSection(raw), "<!-- history:start -->", "<!-- history:end -->");
      formatDoc(ROOT, doc);
      log("wrote bench-results/history.json and docs/benchmarks.md (History (Postgres) section)");
    }
    return valid ? 0 : 1;
  } finally {
    await workerd?.dispose().catch(() => undefined);
    for (const c of children) await c.stop().catch(() => undefined);
    if (created && !args.keep) await dropBenchDatabase(found.url).catch((e) => log(`drop failed: ${e}`));
    rmSync(tmp, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err) => {
  console.error(err);
  return 1;
});
