/**
 * `npm run bench:node`: Hookline on Node (src/node/) against baselines measured in the same run on the same
 * Node, each server in its own process (bench/node/server.ts) so none shares an event loop with the load
 * generator or the fake upstreams.
 *
 *   npm run bench:node        # ~3.5 min: acks at 1/8/32 in flight × 3 rounds (+ a disk pair at 8), 2 × 10 chains,
 *                             # /stop: 3 rounds of 20 at once, 15 single, 2 queued rounds
 *   npx node bench/node.ts --levels 8 --rounds 1 --duration 1000 --runs 2 --stop-rounds 1 --singles 3 \
 *     --queued-rounds 0 --no-disk --no-write                                          # a quick look; writes nothing
 *
 * 1. Ack (bench/node/ack.ts): bare Hono and grammY on @hono/node-server, one node:sqlite commit per request, and
 *    Hookline (config/bench.yaml: no workflows) for signed Telegram updates and Standard Webhooks deliveries; the
 *    commit floor and Telegram once more with their files on disk, at one level.
 * 2. Step hop (bench/node/hop.ts): a 50-step echo `llm` chain through the persisted STEPS queue, and as shipped.
 * 3. /stop (bench/node/stop.ts): 20 Telegram chats stream from the fake OpenAI's `slow-200`; /stop to all at once;
 *    /stop POST → the fake sees that completion's connection close. Also one chat at a time, and queued steps.
 * Prints a table, writes bench-results/node.json and the "Node adapter" section of docs/benchmarks.md.
 * Exits 1 only if the run is invalid (an error response, a failed duplicate check, a stream that was not stopped).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startFakeOpenAi } from "../test/servers/fake-openai.ts";
import { startFakeTelegram } from "../test/servers/fake-telegram.ts";
import { cpuTicks } from "./lib/proc.ts";
import { formatDoc, writeDocSection } from "./lib/report.ts";
import { describeSource } from "./lib/scratch.ts";
import { ackTargets, measureAcks } from "./node/ack.ts";
import { type Child, startChild } from "./node/child.ts";
import { Client } from "./node/client.ts";
import { HOP_SOURCES, HOP_WORKFLOWS, measureHops, WARMUP_RUNS } from "./node/hop.ts";
import { consoleSummary, docSection, type NodeRaw } from "./node/report.ts";
import { measureStops, STREAM_TRIGGERS, STREAM_WORKFLOWS } from "./node/stop.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    levels: { type: "string", default: "1,8,32" },
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "2000" },
    warmup: { type: "string", default: "500" },
    copies: { type: "string", default: "500" },
    runs: { type: "string", default: "10" },
    "stop-chats": { type: "string", default: "20" },
    "stop-rounds": { type: "string", default: "3" },
    singles: { type: "string", default: "15" },
    /** Rounds of 20 at once with the stream forced through the STEPS queue (reported, not judged). */
    "queued-rounds": { type: "string", default: "2" },
    /**
     * STEPS batches the Hookline process handles at once. The adapter ships 10 (batch size 10, timeout 0); a
     * queued streaming step holds its batch for as long as it streams, so with 10 the queued /stop variant's 20
     * chats (40 s streams) cannot all stream at once. Only that variant uses the queue concurrently; `0` = shipped.
     */
    "steps-batches": { type: "string", default: "32" },
    /** The in-flight level at which the disk pair (SQLite floor and Hookline telegram, files on disk) runs. */
    "disk-level": { type: "string", default: "8" },
    "no-disk": { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
  },
});
/** Files on tmpfs: the disk pair shows what this VM's fsync adds (skipped when BENCH_TMPDIR is a disk). */
const TMPFS = (process.env.BENCH_TMPDIR ?? (existsSync("/dev/shm") ? "/dev/shm" : "")).startsWith("/dev/shm");
const DISK = TMPFS && !args["no-disk"];
const ACK = {
  levels: args.levels.split(",").map(Number),
  diskLevel: Number(args["disk-level"]),
  rounds: Math.max(1, Number(args.rounds)),
  durationMs: Number(args.duration),
  warmupMs: Number(args.warmup),
  copies: Number(args.copies),
};
const STOP = {
  chats: Math.max(1, Number(args["stop-chats"])),
  rounds: Math.max(1, Number(args["stop-rounds"])),
  singles: Math.max(1, Number(args.singles)),
  queuedRounds: Math.max(0, Number(args["queued-rounds"])),
};
const RUNS = Math.max(1, Number(args.runs));
const STEPS_BATCHES = Math.max(0, Number(args["steps-batches"]));
/** Hard bound on the whole bench: every wait checks it. */
const HARD_LIMIT_MS = 6 * 60_000;
/** SQLite files go to tmpfs when there is one, as the workerd benches' Durable Object files do. */
const TMP_BASE = process.env.BENCH_TMPDIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const ENV_NAME = "bench-node";

const t0 = Date.now();
const log = (msg: string) => console.log(`[bench:node] ${msg}`);
const version = (pkg: string) =>
  (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string })
    .version;

/** The overlay for parts 2 and 3 (given to the Hookline child in memory; never written into config/). */
const hopSource = (workflow: string) => ({
  channel: "generic",
  scheme: "github",
  secretEnv: "GITHUB_WEBHOOK_SECRET",
  workflow,
});
const OVERLAY = {
  sources: {
    "demo-bot": { workflow: null },
    ...Object.fromEntries(Object.values(HOP_SOURCES).map((s) => [s, hopSource(s)])),
  },
  triggers: STREAM_TRIGGERS,
  workflows: { ...HOP_WORKFLOWS, ...STREAM_WORKFLOWS },
};

async function main(): Promise<number> {
  const tmp = mkdtempSync(join(TMP_BASE, "hookline-bench-node-"));
  const diskTmp = DISK ? mkdtempSync(join(tmpdir(), "hookline-bench-node-disk-")) : undefined;
  const startedAt = new Date();
  const children: Child[] = [];
  const closers: (() => Promise<void>)[] = [];
  const start = async (...a: Parameters<typeof startChild>) => {
    const c = await startChild(...a);
    children.push(c);
    return c;
  };
  try {
    const source = describeSource(ROOT);
    log(
      `working tree @ ${source.commit.slice(0, 10)}${source.dirty ? " (uncommitted changes)" : ""}; files in ${tmp}`,
    );

    // 1. Ack.
    log(
      `part 1: ack, ${ACK.levels.join("/")} in flight × ${ACK.rounds} round(s) × (${ACK.warmupMs} + ${ACK.durationMs} ms)`,
    );
    const ackChildren: Parameters<typeof measureAcks>[0] = {
      bare: await start("bare", { kind: "bare" }),
      grammy: await start("grammy", { kind: "grammy" }),
      sqlite: await start("sqlite", { kind: "sqlite", dataDir: join(tmp, "sqlite") }),
      hookline: await start("hookline", { kind: "hookline", envName: "bench", dataDir: join(tmp, "ack") }),
    };
    if (diskTmp) {
      ackChildren["sqlite-disk"] = await start("sqlite-disk", {
        kind: "sqlite",
        dataDir: join(diskTmp, "sqlite"),
      });
      ackChildren["hookline-disk"] = await start("hookline-disk", {
        kind: "hookline",
        envName: "bench",
        dataDir: join(diskTmp, "ack"),
      });
    }
    const ack = await measureAcks(ackChildren, { ...ACK, targets: ackTargets(Boolean(diskTmp)) }, log);
    for (const c of Object.values(ackChildren)) await c.stop();

    // 2 and 3 share one Hookline (the overlay above) and one probe, with the fake upstreams in this process.
    const openai = await startFakeOpenAi();
    const telegram = await startFakeTelegram();
    closers.push(openai.close, telegram.close);
    const secrets = { OPENAI_BASE_URL: `${openai.url}/v1`, TELEGRAM_API_ROOT: telegram.url };
    const hlChild = await start("hookline", {
      kind: "hookline",
      envName: ENV_NAME,
      overlay: OVERLAY,
      secrets,
      dataDir: join(tmp, "engine"),
      ...(STEPS_BATCHES ? { stepsConcurrency: STEPS_BATCHES } : {}),
    });
    const probeChild = await start("probe", { kind: "probe", secrets, dataDir: join(tmp, "probe") });
    const deadline = t0 + HARD_LIMIT_MS;
    const hl = new Client(hlChild.url, 48, deadline);
    const probe = new Client(probeChild.url, 48, deadline);
    closers.push(
      () => hl.close(),
      () => probe.close(),
    );

    log(
      `part 2: queued hop, ${WARMUP_RUNS} warm-ups + ${RUNS} runs of a 50-step echo chain; probe queue chains before and after`,
    );
    const hop = await measureHops(hl, probe, RUNS, () => cpuTicks(hlChild.pid) * 10, log);

    log(
      `part 3: /stop, 1 warm-up + ${STOP.rounds} rounds of ${STOP.chats} chats at once, then ${STOP.singles} single`,
    );
    const stop = await measureStops(hl, probe, openai, telegram, STOP, () => cpuTicks(hlChild.pid) * 10, log);
    const completions = openai.requests.length;

    const raw: NodeRaw = {
      date: startedAt.toISOString(),
      durationSec: Math.round((Date.now() - t0) / 1000),
      source,
      stateDir: TMP_BASE,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        loadavgAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
        node: process.version,
        hono: version("hono"),
        nodeServer: version("@hono/node-server"),
        grammy: version("grammy"),
      },
      method: {
        levels: ACK.levels,
        diskLevel: diskTmp ? ACK.diskLevel : null,
        diskDir: diskTmp ? tmpdir() : null,
        ackRounds: ACK.rounds,
        warmupMs: ACK.warmupMs,
        durationMs: ACK.durationMs,
        copies: ACK.copies,
        runs: RUNS,
        stopChats: STOP.chats,
        stopRounds: STOP.rounds,
        singles: STOP.singles,
        queuedRounds: STOP.queuedRounds,
        stepsBatches: STEPS_BATCHES,
        completions,
      },
      ack,
      hop,
      stop,
    };
    const valid = ack.errors === 0 && ack.dedup.every((d) => d.pass);
    console.log(`\n${consoleSummary(raw)}\n`);
    if (!valid)
      log(
        `INVALID RUN: ${ack.errors} error responses (${ack.errorSamples.join(" | ")}), dedup ${ack.dedup.every((d) => d.pass) ? "ok" : "FAILED"}`,
      );
    if (!args["no-write"]) {
      const jsonPath = join(ROOT, "bench-results", "node.json");
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify({ ...raw, valid }, null, 2)}\n`);
      const doc = join(ROOT, "docs", "benchmarks.md");
      writeDocSection(doc, docSection(raw, valid), "<!-- node:start -->", "<!-- node:end -->");
      formatDoc(ROOT, doc);
      log("wrote bench-results/node.json and docs/benchmarks.md (Node adapter section)");
    }
    return valid ? 0 : 1;
  } finally {
    for (const c of children) await c.stop().catch(() => undefined);
    for (const close of closers.reverse()) await close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
    if (diskTmp) rmSync(diskTmp, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err) => {
  console.error(err);
  return 1;
});
