/**
 * `npm run bench` (ingress): throughput and latency of a verified, deduplicated, durably recorded webhook ack,
 * per signature scheme, against two baselines measured in the same run on the same workerd:
 * a bare Hono route and a plain grammY webhook bot.
 *
 *   npm run bench                      # 3 rounds × (1 s warm-up + 4 s) per target, ~2.5 min
 *   npm run bench -- --rounds 1 --duration 2000 --no-write   # a quick look; writes nothing
 *
 * Steps: bundle each worker with `wrangler deploy --dry-run` (Hookline's [build] bundles the config), start
 * one workerd through Miniflare with SQLite-backed Durable Objects persisted to a temp dir, sanity-check
 * every target, run the duplicate check (1,000 concurrent copies of one delivery), then interleaved timed
 * rounds. Prints a table, writes bench-results/ingress.json and the ingress section of docs/benchmarks.md.
 * Exits 1 only if the run is invalid (any error response, or a failed duplicate check).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { TEST_BINDINGS } from "../test/fixtures/secrets.ts";
import { dryRunBuild } from "./lib/build.ts";
import { dedupCheck } from "./lib/dedup.ts";
import { keepAlivePool, RequestSource, runWindow, type WindowResult } from "./lib/load.ts";
import { findWorkerdPids, settle } from "./lib/proc.ts";
import {
  consoleTable,
  type DedupCheck,
  formatDoc,
  GOALS,
  judge,
  markdownTable,
  median,
  summarize,
  type TargetSummary,
  tableRows,
  writeDocSection,
} from "./lib/report.ts";
import { outbound, readWranglerConfig, startRuntime, workerOptions } from "./lib/runtime.ts";
import { baselineTargets, hooklineTargets, SESSIONS, type Target } from "./lib/targets.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: process.env.BENCH_ROUNDS ?? "3" },
    duration: { type: "string", default: process.env.BENCH_DURATION_MS ?? "4000" },
    warmup: { type: "string", default: process.env.BENCH_WARMUP_MS ?? "1000" },
    concurrency: { type: "string", default: process.env.BENCH_CONCURRENCY ?? "32" },
    copies: { type: "string", default: "1000" },
    "no-write": { type: "boolean", default: false },
  },
});
const ROUNDS = Number(args.rounds);
const DURATION_MS = Number(args.duration);
const WARMUP_MS = Number(args.warmup);
const CONCURRENCY = Number(args.concurrency);
const COPIES = Number(args.copies);
/**
 * Where builds and Durable Object SQLite files go: tmpfs (/dev/shm) when there is one, so a durable commit
 * does not measure this shared VM's disk (and its neighbours' I/O); BENCH_TMPDIR overrides it, e.g.
 * BENCH_TMPDIR=/tmp for disk. bench/profile-ingress.ts measures both side by side.
 */
const TMP_BASE = process.env.BENCH_TMPDIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());

const log = (msg: string) => console.log(`[bench] ${msg}`);
const version = (pkg: string) =>
  (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string })
    .version;

async function main(): Promise<number> {
  const tmp = mkdtempSync(join(TMP_BASE, "hookline-bench-"));
  const startedAt = new Date();
  let runtime: Awaited<ReturnType<typeof startRuntime>> | undefined;
  const pools: { close(): Promise<void> }[] = [];
  try {
    // 1. Bundle, as a deploy would (no deploy). Sequential: the machine has two cores.
    log("bundling with wrangler deploy --dry-run …");
    const cfgPaths = {
      hookline: join(ROOT, "wrangler.toml"),
      "bare-hono": join(ROOT, "bench", "baselines", "bare-hono.wrangler.toml"),
      grammy: join(ROOT, "bench", "baselines", "grammy.wrangler.toml"),
    } as const;
    const builds = [];
    for (const [name, cfg] of Object.entries(cfgPaths)) {
      const built = await dryRunBuild(ROOT, cfg, join(tmp, "build", name));
      builds.push({ name, built, config: await readWranglerConfig(cfg) });
      log(
        `  ${name}: ${built.entry}${built.extraModules.length ? ` + ${built.extraModules.join(", ")}` : ""} (${Math.round(built.buildMs)} ms)`,
      );
    }
    rmSync(join(ROOT, "bench", "baselines", ".wrangler"), { recursive: true, force: true });

    // 2. One workerd, three workers, each on its own direct socket.
    const persist = join(tmp, "state");
    mkdirSync(persist);
    runtime = await startRuntime(
      builds.map(({ name, built, config }) =>
        workerOptions(
          name,
          built,
          config,
          name === "hookline" ? { ...TEST_BINDINGS, HOOKLINE_ENV: "bench" } : {},
        ),
      ),
      persist,
    );
    const workerd = findWorkerdPids();
    log(
      `workerd ${version("workerd")} (pid ${workerd.join(",") || "?"}) via miniflare ${version("miniflare")}`,
    );

    const targets = [...baselineTargets, ...hooklineTargets];
    const originOf = (t: Target) => runtime?.urls[t.worker] as URL;

    // 3. Sanity: each target answers its success response; grammY really checks the secret token.
    const startsRun = new Set<string>();
    for (const t of targets) {
      const pool = keepAlivePool(originOf(t), 1);
      const src = new RequestSource(t);
      await src.prepare(1);
      const req = await src.take();
      const res = await pool.request({
        method: "POST",
        path: req.path,
        headers: req.headers,
        body: req.body,
      });
      const text = await res.body.text();
      if (!t.ok(res.statusCode, text)) throw new Error(`sanity: ${t.id} answered ${res.statusCode} ${text}`);
      if (text.includes('"runId"')) startsRun.add(t.id);
      if (t.id === "grammy") {
        const bad = await pool.request({
          method: "POST",
          path: req.path,
          headers: { ...req.headers, "X-Telegram-Bot-Api-Secret-Token": "wrong" },
          body: req.body,
        });
        await bad.body.text();
        if (bad.statusCode !== 401)
          throw new Error(`sanity: grammY accepted a wrong secret (${bad.statusCode})`);
      }
      await pool.close();
    }
    log("sanity: every target answers 2xx (grammY answers 401 to a wrong secret token)");
    if (startsRun.size)
      log(`these sources also start a workflow run per accepted delivery: ${[...startsRun].join(", ")}`);

    // 4. Correctness under contention: COPIES concurrent copies of one delivery per scheme.
    const dedup: DedupCheck[] = [];
    for (const t of hooklineTargets) {
      const d = await dedupCheck(t, originOf(t), COPIES);
      dedup.push(d);
      log(
        `dedup ${t.id}: ${d.copies} concurrent copies → ${d.accepted} accepted, ${d.duplicate} duplicate` +
          `${d.other + d.errors ? `, ${d.other} other, ${d.errors} errors` : ""} (${Math.round(d.ms)} ms) ${d.pass ? "PASS" : "FAIL"}`,
      );
    }
    await settle(workerd);

    // 5. Timed rounds, interleaved; the order rotates each round so drift does not favour one target.
    const results = new Map<string, WindowResult[]>(targets.map((t) => [t.id, []]));
    const settleMs = new Map<string, number[]>(targets.map((t) => [t.id, []]));
    const rateGuess = new Map<string, number>();
    const poolFor = new Map<string, ReturnType<typeof keepAlivePool>>();
    for (const t of targets) {
      const p = keepAlivePool(originOf(t), CONCURRENCY);
      poolFor.set(t.id, p);
      pools.push(p);
    }
    log(
      `${ROUNDS} round(s) × ${targets.length} targets × (${WARMUP_MS} ms warm-up + ${DURATION_MS} ms), ` +
        `${CONCURRENCY} in flight, sessions spread over ${SESSIONS}`,
    );
    for (let round = 0; round < ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
      for (const t of order) {
        const source = new RequestSource(t);
        const pool = poolFor.get(t.id) as ReturnType<typeof keepAlivePool>;
        // Pre-sign enough for the window: sized from the warm-up's rate (or an earlier round's).
        let guess = rateGuess.get(t.id) ?? 2000;
        if (WARMUP_MS > 0) {
          await source.prepare(Math.ceil((guess * 2 * WARMUP_MS) / 1000) + 500);
          const warm = await runWindow(pool, source, CONCURRENCY, WARMUP_MS, workerd);
          guess = Math.max(guess, warm.rps);
        }
        await source.prepare(Math.ceil((guess * 2 * DURATION_MS) / 1000) + 500);
        const r = await runWindow(pool, source, CONCURRENCY, DURATION_MS, workerd);
        results.get(t.id)?.push(r);
        rateGuess.set(t.id, Math.max(r.rps, guess));
        const waited = await settle(workerd);
        settleMs.get(t.id)?.push(waited);
        log(
          `round ${round + 1} ${t.id.padEnd(17)} ${Math.round(r.rps).toString().padStart(6)} req/s  ` +
            `p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  workerd ${r.workerdCpuMsPerReq.toFixed(2)} ms CPU/req ` +
            `(${r.workerdCores.toFixed(2)} cores; other load ${r.otherCores.toFixed(2)}, iowait ${r.iowaitCores.toFixed(2)})  errors ${r.errors}` +
            `${r.signedInWindow ? `  (signed in window: ${r.signedInWindow})` : ""}  settle ${Math.round(waited)} ms`,
        );
        if (r.errors) log(`  error samples: ${r.errorSamples.join(" | ")}`);
      }
    }

    // 6. Summaries and verdicts.
    const summaries = new Map<string, TargetSummary>(
      targets.map((t) => [t.id, summarize(results.get(t.id) ?? [], t)]),
    );
    const hono = summaries.get("bare-hono") as TargetSummary;
    const grammy = summaries.get("grammy") as TargetSummary;
    const hooklineSummaries = hooklineTargets.map((t) => summaries.get(t.id) as TargetSummary);
    for (const s of hooklineSummaries) judge(s, hono, grammy);
    const ordered = [hono, grammy, ...hooklineSummaries];
    const rows = tableRows(ordered);
    console.log(`\n${consoleTable(rows)}\n`);

    const totalErrors = [...results.values()].flat().reduce((n, r) => n + r.errors, 0);
    const valid = totalErrors === 0 && dedup.every((d) => d.pass);
    if (outbound.count)
      log(`workers tried ${outbound.count} outbound request(s) (refused): ${[...outbound.hosts].join(", ")}`);
    if (!valid)
      log(
        `INVALID RUN: ${totalErrors} error responses, dedup ${dedup.every((d) => d.pass) ? "ok" : "FAILED"}`,
      );

    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      loadavgAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
      node: process.version,
      workerd: version("workerd"),
      miniflare: version("miniflare"),
      wrangler: version("wrangler"),
      hono: version("hono"),
      grammy: version("grammy"),
    };
    const settleMedian = Object.fromEntries(
      [...settleMs].map(([id, v]) => [
        id,
        Math.round([...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0),
      ]),
    );
    const raw = {
      date: startedAt.toISOString(),
      valid,
      stateDir: TMP_BASE,
      machine,
      method: {
        rounds: ROUNDS,
        warmupMs: WARMUP_MS,
        durationMs: DURATION_MS,
        concurrency: CONCURRENCY,
        sessions: SESSIONS,
        goals: GOALS,
      },
      summaries: ordered,
      startsRun: [...startsRun],
      settleMsMedian: settleMedian,
      dedup,
      outboundRefused: { count: outbound.count, hosts: [...outbound.hosts] },
    };
    if (!args["no-write"]) {
      const jsonPath = join(ROOT, "bench-results", "ingress.json");
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify(raw, null, 2)}\n`);
      writeDocSection(join(ROOT, "docs", "benchmarks.md"), docSection(raw, rows, settleMedian));
      formatDoc(ROOT, join(ROOT, "docs", "benchmarks.md"));
      log("wrote bench-results/ingress.json and docs/benchmarks.md (ingress section)");
    }
    return valid ? 0 : 1;
  } finally {
    await Promise.allSettled(pools.map((p) => p.close()));
    if (runtime) await runtime.mf.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function docSection(
  raw: {
    date: string;
    valid: boolean;
    machine: Record<string, unknown>;
    method: { rounds: number; warmupMs: number; durationMs: number; concurrency: number; sessions: number };
    stateDir: string;
    summaries: TargetSummary[];
    startsRun: string[];
    dedup: DedupCheck[];
    outboundRefused: { count: number; hosts: string[] };
  },
  rows: string[][],
  settleMedian: Record<string, number>,
): string {
  const m = raw.machine;
  const { rounds, warmupMs, durationMs, concurrency, sessions } = raw.method;
  const hooklines = raw.summaries.filter((s) => s.kind === "hookline");
  const misses = hooklines.flatMap((s) =>
    s.verdict
      ? [
          ...(s.verdict.rpsVsHono ? [] : [`${s.target}: req/s ${s.vsHono?.rps.toFixed(2)}× Hono`]),
          ...(s.verdict.p99VsHono ? [] : [`${s.target}: p99 ${s.vsHono?.p99.toFixed(2)}× Hono`]),
          ...(s.verdict.rpsVsGrammy ? [] : [`${s.target}: req/s ${s.vsGrammy?.rps.toFixed(2)}× grammY`]),
        ]
      : [],
  );
  return `## Ingress: verified, deduplicated, durably recorded ack

_Last run: ${raw.date} · ${raw.valid ? "valid run (0 error responses, duplicate check passed)" : "**INVALID RUN** (errors or failed duplicate check; see bench-results/ingress.json)"}_

**Machine.** ${m.cpus} cores (${m.cpuModel}), shared with other work; load average at the end ${(m.loadavgAtEnd as number[]).join(" / ")}.
Other processes kept a median ${median(raw.summaries.map((s) => s.otherCores)).toFixed(2)} cores busy during the measured windows (per target: ${raw.summaries.map((s) => `${s.target} ${s.otherCores.toFixed(2)}`).join(", ")}).
Absolute numbers are noise here; the ratios, measured in the same run on the same workerd, are what matter.
Node ${m.node} (load generator), workerd ${m.workerd} via miniflare ${m.miniflare}, wrangler ${m.wrangler}, hono ${m.hono}, grammY ${m.grammy}.

**Targets.** For every scheme: throughput ≥ ${GOALS.rpsVsHono}× the bare Hono route, p99 ≤ ${GOALS.p99VsHono}× its p99,
and throughput ≥ ${GOALS.rpsVsGrammy}× the plain grammY bot.

${markdownTable(
  [
    ["target", "what is sent"],
    ...raw.summaries.map((s) => [
      s.target,
      `${s.describe}${raw.startsRun.includes(s.target) ? "; the source has a workflow, so each accepted delivery also starts a run (202 + runId)" : ""}`,
    ]),
  ],
  [0, 1],
)}

**Results** (median of ${rounds} rounds; latency in ms, send → last body byte):

${markdownTable(rows)}

${misses.length ? `Missed: ${misses.join("; ")}.` : "Every target met."}
"workerd CPU ms/req" is workerd's user+system CPU over the window per acknowledged request, including the
background work those requests cause (alarms, index flushes, workflow runs). For where an ingress request's
time goes stage by stage, run \`npx node bench/profile-ingress.ts\` (its own section below).

**Duplicates under contention** (not timed): ${raw.dedup[0]?.copies ?? 0} concurrent copies of one new delivery, per scheme.

${markdownTable(
  [
    ["scheme", "accepted", "duplicate", "other / errors", "result"],
    ...raw.dedup.map((d) => [
      d.target,
      String(d.accepted),
      String(d.duplicate),
      `${d.other} / ${d.errors}`,
      d.pass ? "PASS" : "FAIL",
    ]),
  ],
  [0, 4],
)}

**Method.**
- Every worker is bundled as a deploy would (\`wrangler deploy --dry-run --outdir <tmp>\`; for Hookline this also
  runs the [build] config bundling) and run in ONE workerd through Miniflare (not \`wrangler dev\`), with
  compatibility date/flags, Durable Object bindings (SQLite-backed, from the migrations) and Text rules read
  from each wrangler config. Hookline gets the test secrets and \`HOOKLINE_ENV=bench\` (config/bench.yaml: no workflows, so only the ack is measured). DO SQLite files live
  in a temp dir under \`${raw.stateDir}\`${raw.stateDir === "/dev/shm" ? " (tmpfs: commits do not pay this VM's disk fsync; the profile section below shows the same stages on disk)" : ""}, deleted afterwards. Each worker listens on its own direct socket, so requests skip Miniflare's
  entry worker.
- Baselines: a bare Hono \`POST /webhooks/telegram/:bot\` that awaits \`c.req.arrayBuffer()\` and returns 200 JSON
  (bench/baselines/bare-hono.ts), and grammY \`webhookCallback(bot, "cloudflare-mod", { secretToken })\` with
  \`botInfo\` preset and \`bot.on("message", () => {})\` (bench/baselines/grammy.ts). Both get the same
  Telegram-update body as Hookline's telegram target; grammY checks the secret token, nothing is stored.
- Every Hookline request is a NEW delivery (unique update_id / wamid / webhook-id / X-GitHub-Delivery / evt id),
  and must come back 2xx with an \`accepted\` ack, so every one writes the ledger. Conversations (Telegram chats,
  WhatsApp senders, order customers) rotate over ${sessions} sessions; GitHub and Stripe sources have no
  session key, so each of their deliveries gets its own SessionObject.
- Requests are built and signed with src/core/sign before each window (Standard Webhooks/Stripe timestamps
  are seconds old when sent). Load: Node + undici Pool, ${concurrency} requests in flight on keep-alive
  connections, ${warmupMs} ms warm-up then ${durationMs} ms measured, per target per round; rounds interleave the
  targets in rotating order, and the bench waits for workerd to go idle (DO alarms flushing the index) before
  the next target. Any non-2xx or unexpected ack is an error; a run with errors is invalid.
- Workers may not reach the network: a Miniflare outbound service refuses every outbound fetch
  (${raw.outboundRefused.count} attempted in this run${raw.outboundRefused.hosts.length ? `: ${raw.outboundRefused.hosts.join(", ")}` : ""}).
- Median time for workerd to go idle after each target's window (background work left behind: DO alarms
  flushing the index, and workflow runs where the source has one):
  ${Object.entries(settleMedian)
    .map(([id, ms]) => `${id} ${ms} ms`)
    .join(", ")}.

Raw numbers: \`bench-results/ingress.json\` (git-ignored).
`;
}

process.exitCode = await main().catch((err) => {
  console.error(err);
  return 1;
});
