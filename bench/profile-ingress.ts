/**
 * Where does an ingress request's time go? Runs the Telegram ingress cut off after each stage
 * (bench/profile/worker.ts) on the same workerd/Miniflare setup as `npm run bench`, with Durable Object
 * SQLite files on disk (the OS temp dir) and on tmpfs (/dev/shm, no fsync cost) side by side, and reports
 * req/s, latency and workerd CPU per request per stage. Not part of `npm run bench` (~2.5 min).
 *
 *   npx node bench/profile-ingress.ts [--rounds 2] [--duration 2500] [--no-write]
 *
 * Writes bench-results/ingress-profile.json and its own section of docs/benchmarks.md.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { TEST_BINDINGS } from "../test/fixtures/secrets.ts";
import { dryRunBuild, offlineEnv } from "./lib/build.ts";
import { keepAlivePool, RequestSource, runWindow, type WindowResult } from "./lib/load.ts";
import { findWorkerdPids, settle } from "./lib/proc.ts";
import { consoleTable, formatDoc, markdownTable, median, writeDocSection } from "./lib/report.ts";
import { type Runtime, readWranglerConfig, startRuntime, workerOptions } from "./lib/runtime.ts";
import { baselineTargets, hooklineTargets, SESSIONS, type Target } from "./lib/targets.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "2" },
    duration: { type: "string", default: "2500" },
    warmup: { type: "string", default: "500" },
    concurrency: { type: "string", default: "32" },
    "no-write": { type: "boolean", default: false },
  },
});
const ROUNDS = Number(args.rounds);
const DURATION_MS = Number(args.duration);
const WARMUP_MS = Number(args.warmup);
const CONCURRENCY = Number(args.concurrency);
const telegram = hooklineTargets.find((t) => t.id === "telegram") as Target;

let variantsMade = 0;
/** The Telegram target, re-pointed at a profile route. Every request is still a new update_id. */
function variant(id: string, path: string, describe: string): Target {
  // Variants share Durable Object namespaces, so each gets its own update_id range.
  const offset = ++variantsMade * 100_000_000;
  return {
    ...telegram,
    id,
    worker: "hookline",
    describe,
    make: async (i, now) => ({ ...(await telegram.make(offset + i, now)), path }),
  };
}

const variants: Target[] = [
  { ...(baselineTargets[0] as Target), id: "bare Hono", describe: "baseline: read body, 200 JSON" },
  variant(
    "verify+parse",
    "/p/verify/demo-bot",
    "Hookline app: verify → parse (zod) → normalize → ack; no DO",
  ),
  variant("+ noop DO", "/p/noop/demo-bot", "… + RPC to a DO whose record() does nothing"),
  variant("+ raw SQL DO", "/p/sql/demo-bot", "… + DO doing one raw-SQL check-and-insert (durable write)"),
  variant("+ record, no flush", "/p/noflush/demo-bot", "… + real SessionObject.record; alarm disabled"),
  variant(
    "+ record, no index",
    "/p/noindex/demo-bot",
    "… + real record; alarm re-arms per 50 ms, no OpsObject call",
  ),
  variant(
    "+ record (full)",
    "/p/full/demo-bot",
    "… + real record with outbox flush to OpsObject; no workflow",
  ),
  variant(
    "app route",
    "/webhooks/telegram/demo-bot",
    "the real app route (demo-bot also starts its workflow run)",
  ),
  variant("noop DO, fresh", "/p/noop/demo-bot?fresh=1", "noop DO, a NEW object per request"),
  variant(
    "record, fresh",
    "/p/full/demo-bot?fresh=1",
    "full record, a NEW SessionObject per request (GitHub/Stripe)",
  ),
];

/** Bench-only Durable Objects exported by bench/profile/worker.ts: binding → class. */
const PROFILE_OBJECTS = {
  NOOP: "NoopObject",
  RAWSQL: "RawSqlObject",
  NOFLUSH: "NoFlushSessionObject",
  NOINDEX: "NoIndexSessionObject",
};

/**
 * The root wrangler.toml (every binding, queue, migration and rule the app has today), re-pointed at
 * bench/profile/worker.ts, without [build] (the config is bundled first), plus the bench-only objects.
 */
function profileWranglerToml(): string {
  const root = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const lines = root.split("\n");
  const out: string[] = [];
  let inBuild = false;
  let topLevel = true;
  for (const line of lines) {
    if (/^\s*\[/.test(line)) {
      topLevel = false;
      inBuild = /^\s*\[build\]\s*$/.test(line);
    }
    if (inBuild) continue;
    if (topLevel && /^name\s*=/.test(line)) out.push('name = "bench-hookline-profile"');
    else if (topLevel && /^main\s*=/.test(line))
      out.push(`main = ${JSON.stringify(join(ROOT, "bench", "profile", "worker.ts"))}`);
    else out.push(line);
  }
  for (const [name, cls] of Object.entries(PROFILE_OBJECTS)) {
    out.push("", "[[durable_objects.bindings]]", `name = "${name}"`, `class_name = "${cls}"`);
  }
  out.push(
    "",
    "[[migrations]]",
    'tag = "bench-profile"',
    `new_sqlite_classes = [${Object.values(PROFILE_OBJECTS)
      .map((c) => `"${c}"`)
      .join(", ")}]`,
  );
  return `${out.join("\n")}\n`;
}

interface Storage {
  label: "disk" | "tmpfs";
  base: string;
}

async function main(): Promise<void> {
  const storages: Storage[] = [{ label: "disk", base: tmpdir() }];
  if (existsSync("/dev/shm")) storages.push({ label: "tmpfs", base: "/dev/shm" });
  const tmp = mkdtempSync(join(tmpdir(), "hookline-profile-"));
  const runtimes: { storage: Storage; runtime: Runtime; pids: number[]; state: string }[] = [];
  try {
    execFileSync(process.execPath, [join(ROOT, "src", "cli", "main.ts"), "bundle-config"], {
      cwd: ROOT,
      env: offlineEnv(ROOT),
      stdio: "inherit",
    });
    const profileCfg = join(tmp, "profile.wrangler.toml");
    writeFileSync(profileCfg, profileWranglerToml());
    const bareCfg = join(ROOT, "bench", "baselines", "bare-hono.wrangler.toml");
    const profile = await dryRunBuild(ROOT, profileCfg, join(tmp, "build", "profile"));
    const bare = await dryRunBuild(ROOT, bareCfg, join(tmp, "build", "bare"));
    rmSync(join(ROOT, "bench", "baselines", ".wrangler"), { recursive: true, force: true });
    const workers = [
      workerOptions("hookline", profile, await readWranglerConfig(profileCfg), {
        ...TEST_BINDINGS,
        HOOKLINE_ENV: "test",
      }),
      workerOptions("bare-hono", bare, await readWranglerConfig(bareCfg), {}),
    ];
    for (const storage of storages) {
      const before = new Set(findWorkerdPids());
      const state = mkdtempSync(join(storage.base, "hookline-profile-state-"));
      const runtime = await startRuntime(workers, state);
      runtimes.push({ storage, runtime, state, pids: findWorkerdPids().filter((p) => !before.has(p)) });
    }

    const key = (s: Storage, v: Target) => `${s.label}|${v.id}`;
    const results = new Map<string, WindowResult[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        for (const { storage, runtime, pids } of round % 2 ? [...runtimes].reverse() : runtimes) {
          const pool = keepAlivePool(runtime.urls[v.worker] as URL, CONCURRENCY);
          const source = new RequestSource(v);
          await source.prepare(Math.ceil(((WARMUP_MS + DURATION_MS) / 1000) * 8000));
          await runWindow(pool, source, CONCURRENCY, WARMUP_MS, pids);
          const r = await runWindow(pool, source, CONCURRENCY, DURATION_MS, pids);
          await pool.close();
          results.set(key(storage, v), [...(results.get(key(storage, v)) ?? []), r]);
          await settle(pids);
          console.log(
            `[profile] round ${round + 1} ${storage.label.padEnd(5)} ${v.id.padEnd(20)} ` +
              `${Math.round(r.rps).toString().padStart(6)} req/s  p50 ${r.p50.toFixed(1)}  p99 ${r.p99.toFixed(1)} ms  ` +
              `${r.workerdCpuMsPerReq.toFixed(2)} ms CPU/req (${r.workerdCores.toFixed(2)} cores)  errors ${r.errors}`,
          );
          if (r.errors) console.log(`  ${r.errorSamples.join(" | ")}`);
        }
      }
    }

    const med = (s: Storage, v: Target, f: (r: WindowResult) => number) =>
      median((results.get(key(s, v)) ?? []).map(f));
    const rows = [
      [
        "stage",
        ...storages.flatMap((s) => [`${s.label} req/s`, `${s.label} p99 ms`, `${s.label} CPU ms/req`]),
        "what",
      ],
      ...variants.map((v) => [
        v.id,
        ...storages.flatMap((s) => [
          Math.round(med(s, v, (r) => r.rps)).toString(),
          med(s, v, (r) => r.p99).toFixed(1),
          med(s, v, (r) => r.workerdCpuMsPerReq).toFixed(2),
        ]),
        v.describe,
      ]),
    ];
    console.log(`\n${consoleTable(rows)}`);
    const totalErrors = [...results.values()].flat().reduce((n, r) => n + r.errors, 0);
    if (totalErrors) console.log(`[profile] ${totalErrors} error responses: results are not valid`);

    if (!args["no-write"]) {
      const date = new Date().toISOString();
      const jsonPath = join(ROOT, "bench-results", "ingress-profile.json");
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(
        jsonPath,
        `${JSON.stringify({ date, rounds: ROUNDS, warmupMs: WARMUP_MS, durationMs: DURATION_MS, concurrency: CONCURRENCY, sessions: SESSIONS, errors: totalErrors, results: Object.fromEntries(results) }, null, 2)}\n`,
      );
      writeDocSection(
        join(ROOT, "docs", "benchmarks.md"),
        `## Ingress profile: where the time goes

_Last run: ${date} · \`npx node bench/profile-ingress.ts\` · ${cpus().length} shared cores; ${totalErrors ? `**${totalErrors} error responses: not valid**` : "0 error responses"}_

The Telegram ingress cut off after each stage (bench/profile/worker.ts imports src/, changes nothing), each
request a new update_id over ${SESSIONS} chats, ${CONCURRENCY} in flight, median of ${ROUNDS} rounds of
${DURATION_MS} ms. The same workers run twice side by side: Durable Object SQLite files on disk (the OS temp
dir; every durable commit pays this VM's fsync) and on tmpfs (/dev/shm; no fsync). "CPU ms/req" is workerd's
user+system CPU per completed request.

${markdownTable(rows, [0, rows[0]?.length ? rows[0].length - 1 : 0])}

How to read it (differences in CPU ms/req between rows):

- \`verify+parse\` − \`bare Hono\`: Hookline's own work before storage (config, verification, JSON + zod, normalize).
- \`+ noop DO\` − \`verify+parse\`: the Durable Object hop (RPC, serialization, actor dispatch).
- \`+ raw SQL DO\` − \`+ noop DO\`: the durable write itself, done as simply as possible.
- \`+ record, no flush\` − \`+ raw SQL DO\`: SessionObject.record's extras (RecordInput zod parse, drizzle, outbox row).
- \`+ record, no index\` − \`+ record, no flush\`: re-arming each session's alarm every 50 ms.
- \`+ record (full)\` − \`+ record, no index\`: flushing each outbox into the single OpsObject index.
- \`app route\` − \`+ record (full)\`: the source's workflow (run start on the ack path, run execution in the
  background on the same workerd).
- \`record, fresh\` − \`+ record (full)\`: a new SessionObject (new SQLite database + migrations) per delivery, as for
  sources without a session key (GitHub, Stripe).
`,
        "<!-- ingress-profile:start -->",
        "<!-- ingress-profile:end -->",
      );
      console.log(
        "[profile] wrote bench-results/ingress-profile.json and docs/benchmarks.md (profile section)",
      );
    }
  } finally {
    for (const r of runtimes) {
      await r.runtime.mf.dispose();
      rmSync(r.state, { recursive: true, force: true });
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
