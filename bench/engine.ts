/**
 * `npm run bench:engine`: what the workflow engine costs per step, against the bare platform measured in the
 * same run on the same workerd (bench/engine/probe.ts).
 *
 *   npm run bench:engine                                   # ~1 min (10 chains, 7 fan-outs, 100 cancels)
 *   npx node bench/engine.ts --runs 2 --fanout-runs 1 --cancels 10 --no-write   # a quick look; writes nothing
 *   npx node bench/engine.ts --ref HEAD                    # benchmark a commit instead of the working tree
 *
 * 1. Step hop: a 50-step chain of inline `transform` steps, and a 50-step chain of `llm` steps on `echo`
 *    through the STEPS queue (per-step overhead, per-hop p50/p95 from the trace).
 * 2. Fan-out: a `parallel` forEach over 100 items (concurrency 100) of echo llm steps, start → join.
 * 3. Cancel: runs whose one llm step streams slowly; POST /runs/:id/cancel while it streams; ack latency and
 *    cancel request → stream aborted.
 *
 * Hookline runs from a temporary copy of the repo (src/, hookline.yaml, config/, migrations/, wrangler.toml;
 * node_modules symlinked) with one extra overlay, config/bench-engine.yaml, generated below, so the bench's
 * workflows never ship in the product config. Both workers are bundled with `wrangler deploy --dry-run` and run
 * in ONE workerd through Miniflare with their Durable Objects (SQLite) and queues as in their wrangler.toml.
 * Prints a table, writes bench-results/engine.json and the engine section of docs/benchmarks.md.
 * Exits 1 only if the run is invalid (an error response, a run that did not end as expected, a timeout).
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { loadFromDisk } from "../src/cli/load.ts";
import { signers } from "../src/core/sign/index.ts";
import { TEST_BINDINGS } from "../test/fixtures/secrets.ts";
import { dryRunBuild } from "./lib/build.ts";
import { cpuTicks, findWorkerdPids, settle } from "./lib/proc.ts";
import { consoleTable, formatDoc, markdownTable, writeDocSection } from "./lib/report.ts";
import { outbound, readWranglerConfig, startRuntime, workerOptions } from "./lib/runtime.ts";
import { describeSource, prepareCopy } from "./lib/scratch.ts";
import { f1, f2, pair, pct, type Stats, stats, verdict } from "./lib/stats.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    "fanout-runs": { type: "string", default: "7" },
    cancels: { type: "string", default: "100" },
    "inline-runs": { type: "string", default: "20" },
    /** Benchmark a commit (`git archive <ref>`) instead of the working tree, e.g. while src/ is mid-edit. */
    ref: { type: "string" },
    "no-write": { type: "boolean", default: false },
  },
});
const CHAIN_RUNS = Math.max(1, Number(args.runs));
const FAN_RUNS = Math.max(1, Number(args["fanout-runs"]));
const CANCELS = Math.max(1, Number(args.cancels));
const INLINE_RUNS = Math.max(1, Number(args["inline-runs"]));
const CHAIN = 50;
const FAN = 100;
/** Words in the slow stream's prompt: echo?delayMs=50 streams them for ~6 s unless aborted. */
const CANCEL_WORDS = 120;
const CANCEL_DELAY_MS = 50;
/** Pause between seeing the attempt `running` and cancelling, so the cancel meets a stream in flight. */
const CANCEL_SETTLE_MS = 25;
const ENV_NAME = "bench-engine";
/** How often chain and fan-out runs are polled for completion (timings come from the trace, not the poll). */
const POLL_MS = 200;
/** Hard bound on the whole bench (build included): every wait checks it. */
const HARD_LIMIT_MS = 4 * 60_000;
const TMP_BASE = process.env.BENCH_TMPDIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const TARGETS = {
  hopP50Ms: 10,
  fanoutMs: 1000,
  cancelP95Ms: 100,
  cancelAimMs: 25,
  cpuPerQueuedStepMs: 3,
} as const;

const t0 = Date.now();
const log = (msg: string) => console.log(`[bench:engine] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** workerd's CPU time (user + system, all threads) in ms; /proc ticks are 10 ms. */
let WORKERD: number[] = [];
const workerdCpuMs = () => WORKERD.reduce((sum, pid) => sum + cpuTicks(pid), 0) * 10;
const version = (pkg: string) =>
  (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string })
    .version;

// ---------------------------------------------------------------------------------------------- workflows

const GITHUB_SOURCE = { channel: "generic", scheme: "github", secretEnv: "GITHUB_WEBHOOK_SECRET" };
const transforms = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    kind: "transform",
    set: { n: i === 0 ? "1" : `steps.t${i - 1}.output.n + 1` },
  }));
const echoSteps = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    kind: "llm",
    model: "echo",
    prompt: "{{ input.text }}",
  }));

/** config/bench-engine.yaml in the temporary copy (JSON is YAML). */
const OVERLAY = {
  sources: Object.fromEntries(
    [
      "bench-transform-50",
      "bench-transform-1",
      "bench-llm-50",
      "bench-llm-50-queued",
      "bench-fanout-100",
      "bench-cancel",
    ].map((id) => [id, { ...GITHUB_SOURCE, workflow: id }]),
  ),
  workflows: {
    "bench-transform-50": { steps: transforms(CHAIN) },
    "bench-transform-1": { steps: transforms(1) },
    "bench-llm-50": { steps: echoSteps(CHAIN) },
    // The same chain forced through the STEPS queue: a step whose timeout exceeds defaults.inlineMaxTimeout
    // (2 min) is never run inline, so this measures the queued path while inline steps stay on.
    "bench-llm-50-queued": { steps: echoSteps(CHAIN).map((x) => ({ ...x, timeout: "3m" })) },
    "bench-fanout-100": {
      steps: [
        {
          id: "fan",
          kind: "parallel",
          forEach: "input.items",
          concurrency: FAN,
          steps: [{ id: "each", kind: "llm", model: "echo", prompt: "item {{ item }}" }],
        },
      ],
    },
    "bench-cancel": {
      steps: [
        {
          id: "think",
          kind: "llm",
          model: `echo?delayMs=${CANCEL_DELAY_MS}`,
          stream: true,
          prompt: "{{ input.text }}",
        },
      ],
    },
  },
};

// ------------------------------------------------------------------------------------------------- stats

// ------------------------------------------------------------------------------------------------- HTTP

interface Reply {
  status: number;
  text: string;
  ms: number;
}

async function call(
  pool: Pool,
  method: "GET" | "POST",
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<Reply> {
  const started = performance.now();
  const res = await pool.request({ method, path, headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, text, ms: performance.now() - started };
}

function checkDeadline(what: string): void {
  if (Date.now() - t0 > HARD_LIMIT_MS)
    throw new Error(`bench exceeded its ${HARD_LIMIT_MS / 1000} s bound (${what})`);
}

/** The parts of GET /runs/:id (src/durable/run-trace.ts) this bench reads. */
interface TraceStep {
  stepId: string;
  attemptId: string;
  status: string;
  enqueuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  latencyMs: number | null;
  abortLatencyMs: number | null;
  error: string | null;
  /** inline: run by the RunObject itself; queue: by a STEPS worker. */
  mode?: string;
}
interface Trace {
  runId: string;
  status: string;
  createdAt: string;
  finishedAt: string | null;
  output: unknown;
  error: { message: string } | null;
  usage: { steps: number };
  cancel: { requestedAt: string; acknowledgedAt: string; latencyMs: number | null } | null;
  steps: TraceStep[];
}
const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : Number.NaN);
const FINISHED = ["completed", "failed", "cancelled", "governor_breached"];

class Hookline {
  private readonly pool: Pool;
  constructor(pool: Pool) {
    this.pool = pool;
  }
  private readonly admin = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };

  /** A signed GitHub-scheme delivery to a run-mapped source: 202 with the run id. */
  async deliver(source: string, body: unknown): Promise<{ runId: string; ms: number }> {
    const raw = Buffer.from(JSON.stringify(body));
    const headers = await signers.github({
      rawBody: raw,
      secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
      now: Date.now(),
      id: randomUUID(),
    });
    const res = await call(
      this.pool,
      "POST",
      `/webhooks/in/${source}`,
      { "content-type": "application/json", ...headers },
      raw,
    );
    const runId = res.status === 202 ? (JSON.parse(res.text) as { runId?: string }).runId : undefined;
    if (!runId) throw new Error(`delivery to ${source} answered ${res.status} ${res.text.slice(0, 200)}`);
    return { runId, ms: res.ms };
  }

  async trace(runId: string): Promise<Trace | null> {
    const res = await call(this.pool, "GET", `/runs/${runId}`, this.admin);
    if (res.status === 404) return null;
    if (res.status !== 200)
      throw new Error(`GET /runs/${runId} answered ${res.status} ${res.text.slice(0, 200)}`);
    return JSON.parse(res.text) as Trace;
  }

  /** Polls the trace until `done` holds. */
  async waitFor(runId: string, done: (t: Trace) => boolean, intervalMs: number, timeoutMs: number) {
    const started = Date.now();
    for (;;) {
      const t = await this.trace(runId);
      if (t && done(t)) return t;
      if (Date.now() - started > timeoutMs)
        throw new Error(`run ${runId} not done after ${timeoutMs} ms (status ${t?.status ?? "not started"})`);
      checkDeadline(`waiting for ${runId}`);
      await sleep(intervalMs);
    }
  }

  cancel(runId: string): Promise<Reply> {
    return call(this.pool, "POST", `/runs/${runId}/cancel`, this.admin);
  }
}

class Probe {
  private readonly pool: Pool;
  constructor(pool: Pool) {
    this.pool = pool;
  }
  async post<T>(path: string, body?: unknown): Promise<T & { clientMs: number }> {
    const res = await call(
      this.pool,
      "POST",
      path,
      { "content-type": "application/json" },
      body === undefined ? undefined : JSON.stringify(body),
    );
    if (res.status !== 200) throw new Error(`probe ${path} answered ${res.status} ${res.text.slice(0, 200)}`);
    return { ...(JSON.parse(res.text) as T), clientMs: res.ms };
  }
}

// ---------------------------------------------------------------------------------------------- measures

interface Baseline {
  rpcMs: number[];
  rpcMeanMs: number[];
  queueHopMs: number[];
  chainHopMs: number[];
  chainPerHopMs: number[];
  /** workerd CPU ms per skeleton hop. */
  chainCpuPerHopMs: number[];
  fanoutMs: number[];
  fanoutCpuPerItemMs: number[];
  pingHttpMs: number[];
}

/** The platform's own costs, from the probe worker. Called twice (start and end) and pooled. */
async function measureBaseline(probe: Probe, into: Baseline, fanRuns: number): Promise<void> {
  for (let r = 0; r < 2; r++) {
    const rpc = await probe.post<{ samples: number[]; totalMs: number }>("/rpc?n=200");
    into.rpcMs.push(...rpc.samples);
    into.rpcMeanMs.push(rpc.totalMs / rpc.samples.length);
  }
  for (let r = 0; r < 2; r++) {
    const hop = await probe.post<{ samples: number[] }>(`/queue-hop?n=${CHAIN}`);
    into.queueHopMs.push(...hop.samples);
  }
  for (let r = 0; r < 3; r++) {
    const cpu0 = workerdCpuMs();
    const chain = await probe.post<{ hops: number[]; totalMs: number }>(`/chain?n=${CHAIN}`);
    into.chainCpuPerHopMs.push((workerdCpuMs() - cpu0) / CHAIN);
    into.chainHopMs.push(...chain.hops);
    into.chainPerHopMs.push(chain.totalMs / CHAIN);
  }
  for (let r = 0; r < fanRuns; r++) {
    const cpu0 = workerdCpuMs();
    const fan = await probe.post<{ ms: number }>(`/fanout?n=${FAN}`);
    into.fanoutCpuPerItemMs.push((workerdCpuMs() - cpu0) / FAN);
    into.fanoutMs.push(fan.ms);
  }
  for (let i = 0; i < 60; i++) into.pingHttpMs.push((await probe.post<{ at: number }>("/ping")).clientMs);
}

interface InlineResult {
  start50Ms: number[];
  start1Ms: number[];
  webhookRuns: { runId: string; status: string; runMs: number; steps: number; output: unknown }[];
}

async function measureInline(
  hl: Hookline,
  probe: Probe,
  workflows: Record<string, unknown>,
): Promise<InlineResult> {
  const out: InlineResult = { start50Ms: [], start1Ms: [], webhookRuns: [] };
  const start = async (workflowId: string) => {
    const runId = `bench-inline-${randomUUID()}`;
    const r = await probe.post<{ ms: number; status: string }>("/start-run", {
      runId,
      workflowId,
      workflow: workflows[workflowId],
      input: { text: "inline" },
      event: null,
      prices: {},
      origin: null,
    });
    if (r.status !== "completed") throw new Error(`inline run ${workflowId} ended ${r.status}`);
    return r.ms;
  };
  for (let i = 0; i < 3; i++) {
    await start("bench-transform-50");
    await start("bench-transform-1");
  }
  for (let i = 0; i < INLINE_RUNS; i++) {
    // Alternate which goes first, so drift favours neither.
    if (i % 2) {
      out.start1Ms.push(await start("bench-transform-1"));
      out.start50Ms.push(await start("bench-transform-50"));
    } else {
      out.start50Ms.push(await start("bench-transform-50"));
      out.start1Ms.push(await start("bench-transform-1"));
    }
  }
  // The real path too: signed delivery → session → RunObject.start, read back from GET /runs/:id.
  for (let i = 0; i < 5; i++) {
    const { runId } = await hl.deliver("bench-transform-50", { text: "inline" });
    const t = await hl.waitFor(runId, (x) => FINISHED.includes(x.status), 20, 10_000);
    if (t.status !== "completed") throw new Error(`transform chain ${runId} ended ${t.status}`);
    out.webhookRuns.push({
      runId,
      status: t.status,
      runMs: ms(t.finishedAt) - ms(t.createdAt),
      steps: t.usage.steps,
      output: t.output,
    });
  }
  return out;
}

interface ChainRun {
  runId: string;
  runMs: number;
  /** workerd CPU ms per step, over the whole run (including this bench's trace reads every 200 ms). */
  cpuPerStepMs: number;
  perStepMs: number;
  firstStartMs: number;
  hops: number[];
  queue: number[];
  report: number[];
  exec: number[];
  /** Attempts per trace `mode` (inline / queue). */
  modes: Record<string, number>;
}

/** One 50-step echo chain: `bench-llm-50-queued` (every step through STEPS) or `bench-llm-50` (inline). */
async function chainRun(hl: Hookline, workflow = "bench-llm-50-queued"): Promise<ChainRun> {
  const cpu0 = workerdCpuMs();
  const { runId } = await hl.deliver(workflow, { text: "hop" });
  const t = await hl.waitFor(runId, (x) => FINISHED.includes(x.status), POLL_MS, 30_000);
  const cpuPerStepMs = (workerdCpuMs() - cpu0) / CHAIN;
  if (t.status !== "completed") throw new Error(`llm chain ${runId} ended ${t.status}: ${t.error?.message}`);
  if (t.steps.length !== CHAIN || t.steps.some((s) => s.status !== "succeeded"))
    throw new Error(`llm chain ${runId}: ${t.steps.length} attempts, not ${CHAIN} succeeded`);
  const s = t.steps;
  const hops: number[] = [];
  const queue: number[] = [];
  const report: number[] = [];
  const exec: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const cur = s[i] as TraceStep;
    exec.push(ms(cur.finishedAt) - ms(cur.startedAt));
    queue.push(ms(cur.startedAt) - ms(cur.enqueuedAt));
    if (i === 0) continue;
    const prev = s[i - 1] as TraceStep;
    hops.push(ms(cur.startedAt) - ms(prev.finishedAt));
    report.push(ms(cur.enqueuedAt) - ms(prev.finishedAt));
  }
  const runMs = ms(t.finishedAt) - ms(t.createdAt);
  const modes: Record<string, number> = {};
  for (const x of s) modes[x.mode ?? "?"] = (modes[x.mode ?? "?"] ?? 0) + 1;
  return {
    modes,
    runId,
    runMs,
    cpuPerStepMs,
    perStepMs: runMs / CHAIN,
    firstStartMs: ms(s[0]?.startedAt) - ms(t.createdAt),
    hops,
    queue,
    report,
    exec,
  };
}

interface FanRun {
  runId: string;
  runMs: number;
  /** workerd CPU ms per item, over the whole run (including trace reads every 200 ms). */
  cpuPerItemMs: number;
  clientMs: number;
  firstStartMs: number;
  lastFinishMs: number;
}

async function fanRun(hl: Hookline): Promise<FanRun> {
  const started = performance.now();
  const cpu0 = workerdCpuMs();
  const { runId } = await hl.deliver("bench-fanout-100", { items: Array.from({ length: FAN }, (_, i) => i) });
  const t = await hl.waitFor(runId, (x) => FINISHED.includes(x.status), POLL_MS, 30_000);
  const clientMs = performance.now() - started;
  const cpuPerItemMs = (workerdCpuMs() - cpu0) / FAN;
  if (t.status !== "completed") throw new Error(`fan-out ${runId} ended ${t.status}: ${t.error?.message}`);
  // The trace also lists the parallel step itself, which runs inside a transition (mode "pure").
  const attempts = t.steps.filter((s) => s.mode !== "pure");
  if (attempts.length !== FAN || t.steps.some((s) => s.status !== "succeeded")) {
    const odd = t.steps.filter((s) => s.status !== "succeeded");
    throw new Error(
      `fan-out ${runId}: ${attempts.length} attempts, not ${FAN} succeeded; not succeeded: ${JSON.stringify(odd).slice(0, 1500)}`,
    );
  }
  const created = ms(t.createdAt);
  return {
    runId,
    runMs: ms(t.finishedAt) - created,
    cpuPerItemMs,
    clientMs,
    firstStartMs: Math.min(...attempts.map((s) => ms(s.startedAt))) - created,
    lastFinishMs: Math.max(...attempts.map((s) => ms(s.finishedAt))) - created,
  };
}

interface CancelRun {
  runId: string;
  /** Node: POST /runs/:id/cancel sent → answer received. */
  clientAckMs: number;
  /** Server: handler's requestedAt → RunObject committed the cancel (trace cancel.latencyMs). */
  serverAckMs: number;
  /** Server: cancel committed → the step worker's stream aborted (attempt finishedAt; abortLatencyMs). */
  abortMs: number;
  /** serverAckMs + abortMs: the handler's requestedAt → stream aborted (server clocks only). */
  totalMs: number;
  /** Node's clock when the cancel POST was sent → the attempt's finishedAt (same machine clock): HTTP included. */
  endToEndMs: number;
  /** How long the attempt streamed before the abort (it would stream ~6 s otherwise). */
  streamedMs: number;
}

const CANCEL_TEXT = Array.from({ length: CANCEL_WORDS }, (_, i) => `word${i}`).join(" ");

async function cancelRun(hl: Hookline): Promise<CancelRun> {
  const { runId } = await hl.deliver("bench-cancel", { text: CANCEL_TEXT });
  await hl.waitFor(runId, (x) => x.steps[0]?.status === "running", 5, 10_000);
  await sleep(CANCEL_SETTLE_MS);
  const sentAt = performance.timeOrigin + performance.now();
  const ack = await hl.cancel(runId);
  const body = JSON.parse(ack.text) as { status?: string; alreadyFinished?: boolean };
  if (ack.status !== 200 || body.status !== "cancelled" || body.alreadyFinished)
    throw new Error(`cancel of ${runId} answered ${ack.status} ${ack.text.slice(0, 200)}`);
  const t = await hl.waitFor(
    runId,
    (x) => x.steps[0]?.status === "cancelled" && x.steps[0]?.finishedAt != null,
    10,
    15_000,
  );
  const step = t.steps[0] as TraceStep;
  const serverAckMs = t.cancel?.latencyMs ?? Number.NaN;
  const abortMs = step.abortLatencyMs ?? Number.NaN;
  if (t.status !== "cancelled" || !Number.isFinite(serverAckMs) || !Number.isFinite(abortMs))
    throw new Error(`cancelled run ${runId} has no cancel timings (status ${t.status})`);
  return {
    runId,
    clientAckMs: ack.ms,
    serverAckMs,
    abortMs,
    totalMs: serverAckMs + abortMs,
    endToEndMs: ms(step.finishedAt) - sentAt,
    streamedMs: step.latencyMs ?? Number.NaN,
  };
}

// --------------------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  const tmp = mkdtempSync(join(TMP_BASE, "hookline-bench-engine-"));
  const startedAt = new Date();
  let runtime: Awaited<ReturnType<typeof startRuntime>> | undefined;
  const pools: Pool[] = [];
  try {
    const source = describeSource(ROOT, args.ref);
    log(
      `temporary repo copy (${source.ref} @ ${source.commit.slice(0, 10)}${source.dirty ? ", uncommitted changes" : ""}) with config/${ENV_NAME}.yaml under ${tmp}`,
    );
    const root = prepareCopy({
      root: ROOT,
      tmp,
      ref: args.ref,
      envName: ENV_NAME,
      overlay: OVERLAY,
      by: "bench/engine.ts",
      extra: ["bench/engine/probe.ts", "bench/engine/probe.wrangler.toml"],
    });
    const config = loadFromDisk(root, ENV_NAME); // validates the overlay before wrangler runs
    const workflows = config.workflows as Record<string, unknown>;

    log("bundling with wrangler deploy --dry-run …");
    const hooklineToml = join(root, "wrangler.toml");
    const probeToml = join(root, "bench", "engine", "probe.wrangler.toml");
    const hooklineBuilt = await dryRunBuild(root, hooklineToml, join(tmp, "build", "hookline"));
    log(`  hookline: ${hooklineBuilt.entry} (${Math.round(hooklineBuilt.buildMs)} ms)`);
    const probeBuilt = await dryRunBuild(root, probeToml, join(tmp, "build", "probe"));
    log(`  probe: ${probeBuilt.entry} (${Math.round(probeBuilt.buildMs)} ms)`);

    const hooklineOpts = workerOptions("hookline", hooklineBuilt, await readWranglerConfig(hooklineToml), {
      ...TEST_BINDINGS,
      HOOKLINE_ENV: ENV_NAME,
    });
    const probeBase = workerOptions("probe", probeBuilt, await readWranglerConfig(probeToml), {});
    // The probe may start Hookline runs directly (the inline chain's timing): Hookline's RUNS, cross-script.
    const probeOpts = {
      ...probeBase,
      durableObjects: {
        ...probeBase.durableObjects,
        RUNS: { className: "RunObject", scriptName: "hookline", useSQLite: true },
      },
    };
    const persist = join(tmp, "state");
    mkdirSync(persist);
    runtime = await startRuntime([hooklineOpts, probeOpts], persist);
    const workerd = findWorkerdPids();
    WORKERD = workerd;
    log(
      `workerd ${version("workerd")} (pid ${workerd.join(",") || "?"}) via miniflare ${version("miniflare")}`,
    );
    const hlPool = new Pool(runtime.urls.hookline as URL, { connections: 4 });
    const probePool = new Pool(runtime.urls.probe as URL, { connections: 2 });
    pools.push(hlPool, probePool);
    const hl = new Hookline(hlPool);
    const probe = new Probe(probePool);

    // Baseline (first half), then Hookline, then baseline again: drift hits both sides.
    const base: Baseline = {
      rpcMs: [],
      rpcMeanMs: [],
      queueHopMs: [],
      chainHopMs: [],
      chainPerHopMs: [],
      chainCpuPerHopMs: [],
      fanoutMs: [],
      fanoutCpuPerItemMs: [],
      pingHttpMs: [],
    };
    log("baseline (1/2): DO RPC, queue hop, hop skeleton, 100-message fan-out, HTTP + RPC");
    await measureBaseline(probe, base, Math.ceil(FAN_RUNS / 2) + 1);
    await settle(workerd);

    log(`inline: ${INLINE_RUNS}× RunObject.start of a 50-step vs a 1-step transform chain; 5 via webhooks`);
    const inline = await measureInline(hl, probe, workflows);
    await settle(workerd);

    log(`queued: 1 warm-up + ${CHAIN_RUNS} runs of a ${CHAIN}-step echo llm chain`);
    await chainRun(hl);
    const chains: ChainRun[] = [];
    for (let i = 0; i < CHAIN_RUNS; i++) {
      const c = await chainRun(hl);
      chains.push(c);
      log(
        `  run ${i + 1}: ${c.runMs} ms (${f1(c.perStepMs)} ms/step), hop p50 ${f1(pct(c.hops, 0.5))} p95 ${f1(pct(c.hops, 0.95))} ms`,
      );
    }
    await settle(workerd);

    const inlineRuns = Math.max(2, Math.ceil(CHAIN_RUNS / 2));
    log(
      `inline llm steps: 1 warm-up + ${inlineRuns} runs of the same chain with inline steps (bench-llm-50)`,
    );
    await chainRun(hl, "bench-llm-50");
    const inlineChains: ChainRun[] = [];
    for (let i = 0; i < inlineRuns; i++) {
      const c = await chainRun(hl, "bench-llm-50");
      inlineChains.push(c);
      log(
        `  run ${i + 1}: ${c.runMs} ms (${f1(c.perStepMs)} ms/step, ${f2(c.cpuPerStepMs)} ms CPU/step), modes ${JSON.stringify(c.modes)}`,
      );
    }
    await settle(workerd);

    log(`fan-out: 1 warm-up + ${FAN_RUNS} runs of a ${FAN}-item parallel forEach (concurrency ${FAN})`);
    await fanRun(hl);
    const fans: FanRun[] = [];
    for (let i = 0; i < FAN_RUNS; i++) {
      const f = await fanRun(hl);
      fans.push(f);
      log(`  run ${i + 1}: start → join ${f.runMs} ms (client saw ${Math.round(f.clientMs)} ms)`);
      await settle(workerd, 5_000);
    }

    log(`cancel: 3 warm-up + ${CANCELS} runs streaming echo?delayMs=${CANCEL_DELAY_MS}`);
    for (let i = 0; i < 3; i++) await cancelRun(hl);
    const cancels: CancelRun[] = [];
    for (let i = 0; i < CANCELS; i++) {
      cancels.push(await cancelRun(hl));
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${CANCELS}`);
    }
    await settle(workerd);

    log("baseline (2/2)");
    await measureBaseline(probe, base, Math.floor(FAN_RUNS / 2) + 1);

    // ------------------------------------------------------------------------------------- summarize
    const summary = summarize(base, inline, chains, fans, cancels, inlineChains);
    const rows = tableRows(summary);
    console.log(`\n${consoleTable(rows)}\n`);
    const { queued: q, cancel: c, baseline: b } = summary;
    log(
      `hop parts (p50 / p95): finish → next enqueued ${f1(q.hopReport.p50)} / ${f1(q.hopReport.p95)} ms, ` +
        `enqueued → started ${f1(q.hopQueue.p50)} / ${f1(q.hopQueue.p95)} ms; echo attempt ${f1(q.exec.p50)} / ${f1(q.exec.p95)} ms. ` +
        `workerd CPU ${f1(q.cpuPerStepMs.p50)} ms per queued step vs ${f1(b.skeletonCpuPerHopMs)} ms per skeleton hop`,
    );
    log(
      `cancel (p50 / p95): handler → committed ${f1(c.serverAck.p50)} / ${f1(c.serverAck.p95)} ms, committed → stream aborted ` +
        `${f1(c.abort.p50)} / ${f1(c.abort.p95)} ms (server total ${f1(c.total.p50)} / ${f1(c.total.p95)}); ` +
        `aborted streams ran ${Math.round(c.streamed.p50)} ms of ~${(CANCEL_WORDS - 1) * CANCEL_DELAY_MS} ms`,
    );
    if (outbound.count)
      log(`workers tried ${outbound.count} outbound request(s) (refused): ${[...outbound.hosts].join(", ")}`);

    const raw = {
      date: startedAt.toISOString(),
      valid: true,
      durationSec: Math.round((Date.now() - t0) / 1000),
      stateDir: TMP_BASE,
      source,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        loadavgAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
        node: process.version,
        workerd: version("workerd"),
        miniflare: version("miniflare"),
        wrangler: version("wrangler"),
      },
      method: {
        env: ENV_NAME,
        chainSteps: CHAIN,
        chainRuns: CHAIN_RUNS,
        inlineRuns: INLINE_RUNS,
        fanoutItems: FAN,
        fanoutRuns: FAN_RUNS,
        cancels: CANCELS,
        cancelModel: `echo?delayMs=${CANCEL_DELAY_MS}`,
        cancelWords: CANCEL_WORDS,
        cancelSettleMs: CANCEL_SETTLE_MS,
        pollMs: POLL_MS,
      },
      summary,
      outboundRefused: { count: outbound.count, hosts: [...outbound.hosts] },
      runs: { inline, chains, fans, cancels },
      baselineSamples: base,
    };
    if (!args["no-write"]) {
      const jsonPath = join(ROOT, "bench-results", "engine.json");
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify(raw, null, 2)}\n`);
      const docPath = join(ROOT, "docs", "benchmarks.md");
      writeDocSection(docPath, docSection(raw, rows), DOC_START, DOC_END);
      formatDoc(ROOT, docPath);
      log("wrote bench-results/engine.json and docs/benchmarks.md (engine section)");
    }
    log(`done in ${raw.durationSec} s`);
    return 0;
  } finally {
    await Promise.allSettled(pools.map((p) => p.close()));
    if (runtime) await runtime.mf.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const DOC_START = "<!-- engine:start -->";
const DOC_END = "<!-- engine:end -->";

type Summary = ReturnType<typeof summarize>;

function summarize(
  base: Baseline,
  inline: InlineResult,
  chains: ChainRun[],
  fans: FanRun[],
  cancels: CancelRun[],
  inlineChains: ChainRun[],
) {
  const rpcMeanMs = stats(base.rpcMeanMs).p50; // per-call mean of each 200-call series, median over series
  const queueHop = stats(base.queueHopMs);
  const baseline = {
    rpcMeanMs,
    rpcPerCall: stats(base.rpcMs),
    queueHop,
    /** The brief's platform hop: one DO RPC round trip + one queue send → consume. */
    platformHopMs: rpcMeanMs + queueHop.p50,
    skeletonHop: stats(base.chainHopMs),
    skeletonPerHopMs: stats(base.chainPerHopMs).p50,
    skeletonCpuPerHopMs: stats(base.chainCpuPerHopMs).p50,
    fanout: stats(base.fanoutMs),
    fanoutCpuPerItemMs: stats(base.fanoutCpuPerItemMs).p50,
    pingHttp: stats(base.pingHttpMs),
  };
  const start50 = stats(inline.start50Ms);
  const start1 = stats(inline.start1Ms);
  const inl = {
    perStepMs: (start50.p50 - start1.p50) / (CHAIN - 1),
    start50,
    start1,
    webhookRunMs: [...new Set(inline.webhookRuns.map((r) => r.runMs))],
    webhookRuns: inline.webhookRuns.length,
  };
  const queued = {
    perStepMs: stats(chains.map((x) => x.perStepMs)),
    runMs: stats(chains.map((x) => x.runMs)),
    hop: stats(chains.flatMap((x) => x.hops)),
    hopReport: stats(chains.flatMap((x) => x.report)),
    hopQueue: stats(chains.flatMap((x) => x.queue.slice(1))),
    exec: stats(chains.flatMap((x) => x.exec)),
    firstStartMs: stats(chains.map((x) => x.firstStartMs)),
    cpuPerStepMs: stats(chains.map((x) => x.cpuPerStepMs)),
  };
  const modeCount = (runs: ChainRun[]) => {
    const out: Record<string, number> = {};
    for (const r of runs) for (const [k, v] of Object.entries(r.modes)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const inlineLlm = {
    perStepMs: stats(inlineChains.map((x) => x.perStepMs)),
    cpuPerStepMs: stats(inlineChains.map((x) => x.cpuPerStepMs)),
    modes: modeCount(inlineChains),
  };
  const queuedModes = modeCount(chains);
  const fanout = {
    runMs: stats(fans.map((f) => f.runMs)),
    clientMs: stats(fans.map((f) => f.clientMs)),
    firstStartMs: stats(fans.map((f) => f.firstStartMs)),
    cpuPerItemMs: stats(fans.map((f) => f.cpuPerItemMs)),
  };
  const cancel = {
    clientAck: stats(cancels.map((x) => x.clientAckMs)),
    serverAck: stats(cancels.map((x) => x.serverAckMs)),
    abort: stats(cancels.map((x) => x.abortMs)),
    total: stats(cancels.map((x) => x.totalMs)),
    endToEnd: stats(cancels.map((x) => x.endToEndMs)),
    streamed: stats(cancels.map((x) => x.streamedMs)),
  };
  const ratios = {
    inlinePerStepVsRpc: inl.perStepMs / rpcMeanMs,
    queuedPerStepVsSkeleton: queued.perStepMs.p50 / baseline.skeletonPerHopMs,
    hopP50VsPlatformHop: queued.hop.p50 / baseline.platformHopMs,
    hopP50VsSkeleton: queued.hop.p50 / baseline.skeletonHop.p50,
    cpuPerStepVsSkeleton: queued.cpuPerStepMs.p50 / baseline.skeletonCpuPerHopMs,
    fanoutVsBare: fanout.runMs.p50 / baseline.fanout.p50,
    cancelAckClientVsHttpRpc: cancel.clientAck.p50 / baseline.pingHttp.p50,
    cancelEndToEndP50VsHttpRpc: cancel.endToEnd.p50 / baseline.pingHttp.p50,
    cancelEndToEndP95VsHttpRpc: cancel.endToEnd.p95 / baseline.pingHttp.p95,
  };
  // Cancel is judged on the stricter, end-to-end number (client's send → abort), which includes HTTP.
  const verdicts = {
    queuedHopP50: queued.hop.p50 <= TARGETS.hopP50Ms,
    fanoutMedian: fanout.runMs.p50 <= TARGETS.fanoutMs,
    cancelP95: cancel.endToEnd.p95 <= TARGETS.cancelP95Ms,
    cancelAimP95: cancel.endToEnd.p95 <= TARGETS.cancelAimMs,
    queuedCpu: queued.cpuPerStepMs.p50 <= TARGETS.cpuPerQueuedStepMs,
  };
  return {
    inline: inl,
    queued,
    queuedModes,
    inlineLlm,
    fanout,
    cancel,
    baseline,
    ratios,
    targets: TARGETS,
    verdicts,
  };
}

const modeText = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");

function tableRows(s: Summary): string[][] {
  const { inline: i, queued: q, fanout: f, cancel: c, baseline: b, ratios: r, verdicts: v } = s;
  const pair = (x: Stats, digits = 1) => `${x.p50.toFixed(digits)} / ${x.p95.toFixed(digits)} ms`;
  return [
    ["measure", "Hookline", "baseline (same run)", "ratio", "target", "result"],
    [
      "inline transform, per step: (50-step − 1-step start) ÷ 49",
      `${f2(i.perStepMs)} ms`,
      `DO RPC ${f2(b.rpcMeanMs)} ms`,
      `${f2(r.inlinePerStepVsRpc)}×`,
      "–",
      "",
    ],
    [
      `queued llm chain: run time ÷ ${CHAIN} (median)`,
      `${f1(q.perStepMs.p50)} ms`,
      `hop skeleton ${f1(b.skeletonPerHopMs)} ms`,
      `${f2(r.queuedPerStepVsSkeleton)}×`,
      "–",
      "",
    ],
    [
      "queued hop p50 (next started − previous finished)",
      `${f1(q.hop.p50)} ms`,
      `RPC + queue hop ${f1(b.platformHopMs)} ms`,
      `${f2(r.hopP50VsPlatformHop)}×`,
      `≤ ${TARGETS.hopP50Ms} ms`,
      verdict(v.queuedHopP50),
    ],
    [
      "queued hop p50 / p95",
      pair(q.hop),
      `hop skeleton ${pair(b.skeletonHop)}`,
      `${f2(r.hopP50VsSkeleton)}× / ${f2(q.hop.p95 / b.skeletonHop.p95)}×`,
      "–",
      "",
    ],
    [
      `workerd CPU per queued step (median of runs; trace modes ${modeText(s.queuedModes)})`,
      `${f1(q.cpuPerStepMs.p50)} ms`,
      `hop skeleton ${f1(b.skeletonCpuPerHopMs)} ms`,
      `${f1(r.cpuPerStepVsSkeleton)}×`,
      `≤ ${TARGETS.cpuPerQueuedStepMs} ms`,
      verdict(v.queuedCpu),
    ],
    [
      `inline llm chain: run time ÷ ${CHAIN} (median; trace modes ${modeText(s.inlineLlm.modes)})`,
      `${f1(s.inlineLlm.perStepMs.p50)} ms`,
      `hop skeleton ${f1(b.skeletonPerHopMs)} ms`,
      `${f2(s.inlineLlm.perStepMs.p50 / b.skeletonPerHopMs)}×`,
      "–",
      "",
    ],
    [
      "workerd CPU per inline llm step (median of runs)",
      `${f2(s.inlineLlm.cpuPerStepMs.p50)} ms`,
      `hop skeleton ${f1(b.skeletonCpuPerHopMs)} ms`,
      `${f2(s.inlineLlm.cpuPerStepMs.p50 / b.skeletonCpuPerHopMs)}×`,
      "–",
      "",
    ],
    [
      `fan-out ${FAN}: start → join (median)`,
      `${Math.round(f.runMs.p50)} ms`,
      `${FAN} bare messages ${Math.round(b.fanout.p50)} ms`,
      `${f1(r.fanoutVsBare)}×`,
      `≤ ${TARGETS.fanoutMs} ms`,
      verdict(v.fanoutMedian),
    ],
    [
      "cancel: POST → answer, client",
      pair(c.clientAck),
      `HTTP + DO RPC ${pair(b.pingHttp)}`,
      `${f1(r.cancelAckClientVsHttpRpc)}× / ${f1(c.clientAck.p95 / b.pingHttp.p95)}×`,
      "–",
      "",
    ],
    [
      "cancel: POST sent → stream aborted",
      pair(c.endToEnd),
      `HTTP + DO RPC ${pair(b.pingHttp)}`,
      `${f1(r.cancelEndToEndP50VsHttpRpc)}× / ${f1(r.cancelEndToEndP95VsHttpRpc)}×`,
      `p95 ≤ ${TARGETS.cancelP95Ms} ms (aim ${TARGETS.cancelAimMs})`,
      `${verdict(v.cancelP95)}${v.cancelP95 ? (v.cancelAimP95 ? ", aim met" : ", aim missed") : ""}`,
    ],
  ];
}

function docSection(
  raw: {
    date: string;
    durationSec: number;
    stateDir: string;
    source: { ref: string; commit: string; dirty: boolean };
    machine: {
      cpus: number;
      cpuModel: string;
      loadavgAtEnd: number[];
      node: string;
      workerd: string;
      miniflare: string;
      wrangler: string;
    };
    summary: Summary;
    outboundRefused: { count: number };
  },
  rows: string[][],
): string {
  const m = raw.machine;
  const { inline: i, queued: q, fanout: f, cancel: c, baseline: b, verdicts: v } = raw.summary;
  const misses = [
    v.queuedHopP50 ? "" : `queued hop p50 ${f1(q.hop.p50)} ms > ${TARGETS.hopP50Ms} ms`,
    v.fanoutMedian ? "" : `fan-out ${Math.round(f.runMs.p50)} ms > ${TARGETS.fanoutMs} ms`,
    v.cancelP95 ? "" : `cancel p95 ${f1(c.endToEnd.p95)} ms > ${TARGETS.cancelP95Ms} ms`,
    v.queuedCpu ? "" : `CPU per queued step ${f1(q.cpuPerStepMs.p50)} ms > ${TARGETS.cpuPerQueuedStepMs} ms`,
  ].filter(Boolean);
  const code = `${raw.source.ref} at ${raw.source.commit.slice(0, 10)}${raw.source.dirty ? " with uncommitted changes" : ""}`;
  return `## Engine: step hop, fan-out, cancel

_Last run: ${raw.date} · ${code} · ${raw.durationSec} s · every run ended as expected, 0 error responses_

**Machine.** ${m.cpus} cores (${m.cpuModel}), shared with other work; load average at the end ${m.loadavgAtEnd.join(" / ")}.
Absolute numbers are noise here; the ratios to the baselines measured in the same run, on the same workerd, are
what matter. Node ${m.node} (client), workerd ${m.workerd} via miniflare ${m.miniflare}, wrangler ${m.wrangler}.

**Targets.** Queued hop ≤ ${TARGETS.hopP50Ms} ms p50; fan-out of ${FAN} ≤ ${TARGETS.fanoutMs} ms (median); cancel request → stream
aborted ≤ ${TARGETS.cancelP95Ms} ms p95 (aim ${TARGETS.cancelAimMs} ms). p50 / p95 in ms unless marked.

${markdownTable(rows, [0, 2, 4, 5])}

${misses.length ? `Missed: ${misses.join("; ")}.` : "Every target met."}${v.cancelP95 && !v.cancelAimP95 ? ` Cancel p95 is above the ${TARGETS.cancelAimMs} ms aim.` : ""}

**Where a queued hop goes** (p50 / p95): the step worker's finish → next attempt enqueued (the stepFinished RPC
arriving) ${f1(q.hopReport.p50)} / ${f1(q.hopReport.p95)}; enqueued → started ${f1(q.hopQueue.p50)} / ${f1(q.hopQueue.p95)} (the transition's CPU,
the outbox send, the alarm, the queue delivery and the stepStarted RPC; workerd's clock does not advance while
code runs, so CPU shows up at the next I/O); an echo attempt itself ${f1(q.exec.p50)} / ${f1(q.exec.p95)}. A ${CHAIN}-step run took
${Math.round(q.runMs.p50)} ms (median) and ${f1(q.cpuPerStepMs.p50)} ms of workerd CPU per step. Platform, same workerd: a DO RPC round trip
${f2(b.rpcMeanMs)} ms (mean of 200 sequential calls), a queue send → consume hop ${f1(b.queueHop.p50)} / ${f1(b.queueHop.p95)}, and the
hop skeleton (consumer → DO RPC → consumer → DO RPC that sends the next message → queue → consumer; no storage,
no engine) ${f1(b.skeletonHop.p50)} / ${f1(b.skeletonHop.p95)} per hop, ${f1(b.skeletonPerHopMs)} ms per hop over a ${CHAIN}-hop chain, ${f1(b.skeletonCpuPerHopMs)} ms CPU per hop.

**Inline steps.** A chain of pure steps runs inside one transition, so its trace shows createdAt = finishedAt
(run time ${i.webhookRunMs.join(", ")} ms in all ${i.webhookRuns} webhook-started runs). Its cost is measured by timing \`RunObject.start()\`
from the probe worker (the same RunObject class, cross-script binding): ${f1(i.start50.p50)} ms (p50) for ${CHAIN} transform steps vs
${f1(i.start1.p50)} ms for 1, both including a new Durable Object, its migrations, the commit and the outbox send.

**Fan-out.** Start → join from the trace (createdAt → finishedAt): median ${Math.round(f.runMs.p50)} ms (min ${f.runMs.min}, max
${f.runMs.max}); first item started after ${Math.round(f.firstStartMs.p50)} ms; ${f1(f.cpuPerItemMs.p50)} ms of workerd CPU per item. Baseline:
${FAN} bare messages in one sendBatch, each consumed and counted by one DO RPC, ${Math.round(b.fanout.p50)} ms (${f2(b.fanoutCpuPerItemMs)} ms
CPU per item). Locally Miniflare's queue broker hands the consumer one batch (≤ 10 messages) at a time and waits for
it before the next, so ${FAN} items are ${FAN / 10} batches in sequence on both sides.

**Cancel** (${c.total.n} runs): the handler's requestedAt → cancel committed (trace \`cancel.latencyMs\`)
${f1(c.serverAck.p50)} / ${f1(c.serverAck.p95)}; committed → stream aborted (trace \`abortLatencyMs\`) ${f1(c.abort.p50)} / ${f1(c.abort.p95)}; their
sum ${f1(c.total.p50)} / ${f1(c.total.p95)}. The judged number is end to end: Node's clock when the POST left → the attempt's
finishedAt (the same machine clock), ${f1(c.endToEnd.p50)} / ${f1(c.endToEnd.p95)}. The API answers later than the abort lands
(${f1(c.clientAck.p50)} / ${f1(c.clientAck.p95)} at the client): \`cancel()\` resolves the watchers right after the commit, then sends the
outbox and sets the alarm before it returns. Aborted streams had run ${Math.round(c.streamed.p50)} ms (p50) of the
~${((CANCEL_WORDS - 1) * CANCEL_DELAY_MS) / 1000} s they would take.

**Method.**
- Hookline runs from a temporary copy of the repo (${code}) plus one overlay, \`config/${ENV_NAME}.yaml\`,
  generated by bench/engine.ts (workflows \`bench-transform-50\`, \`bench-transform-1\`, \`bench-llm-50\`,
  \`bench-fanout-100\`, \`bench-cancel\`, each behind a GitHub-scheme generic source), so bench workflows never ship.
  It is bundled with \`wrangler deploy --dry-run\` (its [build] bundles the config) and run with \`HOOKLINE_ENV=${ENV_NAME}\`
  and the test secrets in ONE workerd through Miniflare (not \`wrangler dev\`), beside the probe worker
  (bench/engine/probe.ts), every Durable Object (SQLite-backed) and queue (STEPS: batch 10, max_batch_timeout 0,
  with its DLQ; EVENTS) configured from each wrangler.toml. DO files live under \`${raw.stateDir}\`, deleted afterwards.
  Workers cannot reach the network (${raw.outboundRefused.count} outbound attempts refused).
- Runs start from signed deliveries (\`POST /webhooks/in/<source>\`, 202 + runId); results come from \`GET /runs/:id\`:
  the RunObject's enqueuedAt/startedAt, the step worker's finishedAt, run createdAt/finishedAt (whole ms).
- Queued chain: \`bench-llm-50-queued\`, ${CHAIN} echo steps (no delay) with \`timeout: 3m\`, above
  \`defaults.inlineMaxTimeout\` (2 min), so every step goes through the STEPS queue although inline steps are on
  (the trace's \`mode\` per attempt is counted in the table). Inline llm chain: \`bench-llm-50\`, the same steps with
  the default timeout, run inside the RunObject. 1 warm-up + ${q.perStepMs.n} runs; hops pooled over all runs (${q.hop.n}).
  Fan-out: 1 warm-up + ${f.runMs.n} runs. Both are polled every ${POLL_MS} ms; workerd CPU is read from /proc over each run.
- Cancel: 3 warm-up + ${c.total.n} runs, one at a time; each waits until its attempt is \`running\` (polled every 5 ms),
  waits ${CANCEL_SETTLE_MS} ms more so the stream is in flight, then cancels.
- Baselines (bench/engine/probe.ts) run before and after the Hookline measures and are pooled.

Raw numbers: \`bench-results/engine.json\` (git-ignored).
`;
}

process.exitCode = await main().catch((err) => {
  console.error(err);
  return 1;
});
