/**
 * `npm run bench:cost`: what Cloudflare would bill per completed run, counted by a meter around the real worker
 * (bench/cost/worker.ts + meter.ts) and priced with bench/cost/prices.ts.
 *
 *   npm run bench:cost                                         # ~5 min on 2 shared cores
 *   npx node bench/cost.ts --runs 40 --fanout-runs 10 --no-write   # a quick look; writes nothing
 *   npx node bench/cost.ts --ref HEAD                          # bill a commit instead of the working tree
 *
 * Workloads, each through the real HTTP routes, every run awaited to its end:
 * - `chat`: a Telegram update to demo-bot (workflow demo-chat: llm on echo → branch → reply) → sendMessage at a fake
 *   Bot API on 127.0.0.1 (test/servers/fake-telegram.ts);
 * - `order`: a Standard Webhooks delivery to `orders` (workflow demo-order) → its reply, a signed callback to a
 *   recorder on 127.0.0.1 (the overlay gives `orders` a `reply` URL);
 * - `seq10`: 10 `llm` echo steps in sequence + a reply; `fanout100`: a parallel forEach over 100 items (echo llm,
 *   concurrency 100) + a reply; both on generic Standard Webhooks sources;
 * - baselines in the same run: `ack` (a Telegram update to a bot with no workflow: Hookline's durable ack alone) and
 *   `grammy` (bench/chat/grammy-bot.ts answering the same update inline: one Worker request, no storage).
 * Each workload first sends one run per conversation (new objects: "first run of a conversation"), then `--runs`
 * runs over the same conversations (the steady state the tables show). After each phase the bench waits until no
 * call, alarm due within 10 s, queued message or waitUntil is left, then reads the meter; only then it checks every
 * run's trace (status completed, every llm attempt succeeded), so neither polling nor checks are billed.
 *
 * Prints the tables; writes bench-results/cost.json and the "Cost per run" section of docs/benchmarks.md.
 * Exits 1 if a run did not complete, a counter did not settle, or any call failed.
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
import { type FakeTelegram, startFakeTelegram, type TelegramCall } from "../test/servers/fake-telegram.ts";
import { type FakeServer, startRecordingServer } from "../test/servers/recorder.ts";
import { GB_PER_OBJECT, NOT_COUNTED, PRICES, type Price, usd } from "./cost/prices.ts";
import type { MeterSnapshot } from "./cost/snapshot.ts";
import { dryRunBuild } from "./lib/build.ts";
import { cpuTicks, findWorkerdPids, settle } from "./lib/proc.ts";
import { consoleTable, formatDoc, markdownTable, writeDocSection } from "./lib/report.ts";
import { readWranglerConfig, startRuntime, workerOptions } from "./lib/runtime.ts";
import { describeSource, prepareCopy } from "./lib/scratch.ts";

process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    "fanout-runs": { type: "string", default: "50" },
    concurrency: { type: "string", default: "4" },
    /** A conversation's next run is sent no sooner than this after its previous one. */
    "revisit-ms": { type: "string", default: "1500" },
    only: { type: "string" },
    ref: { type: "string" },
    "no-write": { type: "boolean", default: false },
  },
});
const RUNS = Math.max(8, Number(args.runs));
const FANOUT_RUNS = Math.max(4, Number(args["fanout-runs"]));
const CONCURRENCY = Math.max(1, Number(args.concurrency));
const REVISIT_MS = Math.max(0, Number(args["revisit-ms"]));
const ENV_NAME = "bench-cost";
const TMP_BASE = process.env.BENCH_TMPDIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const HARD_LIMIT_MS = 15 * 60_000;
const RUN_TIMEOUT_MS = 60_000;
const SETTLE_TIMEOUT_MS = 60_000;
const SECRET = TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN;
const ADMIN = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };
const GRAMMY_TOKEN = "654321:bench-grammy-token";
const FAN = 100;
const SEQ = 10;

const t0 = Date.now();
const log = (msg: string) => console.log(`[bench:cost] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const version = (pkg: string) =>
  (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string })
    .version;
function checkDeadline(what: string): void {
  if (Date.now() - t0 > HARD_LIMIT_MS)
    throw new Error(`bench exceeded its ${HARD_LIMIT_MS / 60_000} min bound (${what})`);
}

// ------------------------------------------------------------------------------------------------ config

/** The overlay, config/bench-cost.yaml in the temporary copy (JSON is YAML), merged over hookline.yaml. */
function overlay(callbackOrigin: string) {
  const reply = (path: string) => ({ url: `${callbackOrigin}/${path}`, secretEnv: "ORDERS_WEBHOOK_SECRET" });
  const generic = (workflow: string) => ({
    channel: "generic",
    scheme: "standard-webhooks",
    secretEnv: "ORDERS_WEBHOOK_SECRET",
    sessionKey: "/customer/id",
    workflow,
    reply: reply(workflow),
  });
  return {
    // The callback receiver is on 127.0.0.1, which the outbound guard refuses unless allowed.
    http: { allowHosts: [new URL(callbackOrigin).host] },
    sources: {
      // demo-bot keeps its workflow (demo-chat); TELEGRAM_API_ROOT points it at the fake Bot API.
      // orders keeps demo-order and gets a callback, so its `reply` step is carried out (and seen here).
      orders: { reply: reply("orders") },
      // Baseline: the same bot without a workflow (recorded and acknowledged, nothing runs).
      "bench-ack": { channel: "telegram", secretEnv: "TELEGRAM_DEMO_SECRET_TOKEN" },
      "bench-seq10": generic("bench-seq10"),
      "bench-fanout100": generic("bench-fanout100"),
    },
    workflows: {
      "bench-seq10": {
        steps: [
          ...Array.from({ length: SEQ }, (_, i) => ({
            id: `s${i}`,
            kind: "llm",
            model: "echo",
            prompt: i === 0 ? "{{ input.text }}" : `{{ steps.s${i - 1}.output.text }}`,
          })),
          { id: "done", kind: "reply", text: `{{ steps.s${SEQ - 1}.output.text }}` },
        ],
      },
      "bench-fanout100": {
        steps: [
          {
            id: "fan",
            kind: "parallel",
            forEach: "input.items",
            concurrency: FAN,
            steps: [{ id: "each", kind: "llm", model: "echo", prompt: "item {{ item }}" }],
          },
          { id: "done", kind: "reply", text: "fan-out done" },
        ],
      },
    },
  };
}

/** Every Durable Object class the meter wraps is exported by bench/cost/worker.ts as `Metered<Class>`. */
const metered = (cls: string) => `Metered${cls}`;

/**
 * The copy's wrangler.toml (every binding, queue, migration and rule the app has), re-pointed at
 * bench/cost/worker.ts, with each Durable Object class (bindings and migrations) mapped to its metered subclass.
 */
function costWranglerToml(rootToml: string): string {
  let topLevel = true;
  return `${rootToml
    .split("\n")
    .map((line) => {
      if (/^\s*\[/.test(line)) topLevel = false;
      if (topLevel && /^name\s*=/.test(line)) return 'name = "bench-hookline-cost"';
      if (topLevel && /^main\s*=/.test(line)) return 'main = "bench/cost/worker.ts"';
      if (/^\s*class_name\s*=/.test(line))
        return line.replace(/"([^"]+)"/, (_, c: string) => `"${metered(c)}"`);
      if (/^\s*new_sqlite_classes\s*=/.test(line) || /^\s*new_classes\s*=/.test(line))
        return line.replace(/"([^"]+)"/g, (_, c: string) => `"${metered(c)}"`);
      return line;
    })
    .join("\n")
    .trimEnd()}\n`;
}

// ---------------------------------------------------------------------------------------------- HTTP

interface Posted {
  status: number;
  text: string;
}

async function post(
  pool: Pool,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<Posted> {
  const res = await pool.request({ method: "POST", path, headers, body });
  return { status: res.statusCode, text: await res.body.text() };
}

async function getJson<T>(pool: Pool, path: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await pool.request({ method: "GET", path, headers });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

let nextUpdate = 700_000_000;
function telegramUpdate(chatId: number, text: string): string {
  const id = nextUpdate++;
  return JSON.stringify({
    update_id: id,
    message: {
      message_id: id % 1_000_000,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private" },
      from: { id: chatId, is_bot: false, first_name: "Ada" },
      text,
    },
  });
}

async function postTelegram(pool: Pool, path: string, chatId: number, text: string): Promise<Posted> {
  return post(
    pool,
    path,
    { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    telegramUpdate(chatId, text),
  );
}

async function postGeneric(pool: Pool, source: string, body: unknown): Promise<Posted> {
  const raw = Buffer.from(JSON.stringify(body));
  const headers = await signers["standard-webhooks"]({
    rawBody: raw,
    secret: TEST_BINDINGS.ORDERS_WEBHOOK_SECRET,
    now: Date.now(),
    id: `msg_${randomUUID()}`,
  });
  return post(
    pool,
    `/webhooks/in/${source}`,
    { "content-type": "application/json", ...headers },
    raw.toString(),
  );
}

const runIdOf = (p: Posted, what: string): string => {
  const runId = p.status === 202 ? (JSON.parse(p.text) as { runId?: string }).runId : undefined;
  if (!runId)
    throw new Error(`${what} answered ${p.status} ${p.text.slice(0, 200)} (expected 202 with a runId)`);
  return runId;
};

// ------------------------------------------------------------------------------------ completion signals

/** Waits on things that arrive at the fakes in this process: no polling of the worker. */
class Arrivals {
  private readonly fake: FakeTelegram;
  private seen = 0;
  private readonly telegram = new Set<string>();
  readonly callbacks = new Set<string>();
  constructor(fake: FakeTelegram) {
    this.fake = fake;
  }
  private update(): void {
    const calls = this.fake.calls;
    for (; this.seen < calls.length; this.seen++) {
      const c = calls[this.seen] as TelegramCall;
      if (c.method === "sendMessage") this.telegram.add(`${c.body.chat_id}|${c.body.text}`);
    }
    // The fake keeps every call; drop them once indexed so a long run does not grow it.
    if (calls.length > 10_000) {
      calls.length = 0;
      this.seen = 0;
    }
  }
  private async until(found: () => boolean, what: string): Promise<void> {
    const started = Date.now();
    while (!found()) {
      if (Date.now() - started > RUN_TIMEOUT_MS) throw new Error(`timed out waiting for ${what}`);
      checkDeadline(what);
      await sleep(2);
    }
  }
  sendMessage(chatId: number, text: string): Promise<void> {
    const key = `${chatId}|${text}`;
    return this.until(() => {
      this.update();
      return this.telegram.delete(key);
    }, `sendMessage "${text}" to chat ${chatId}`);
  }
  callback(runId: string): Promise<void> {
    return this.until(() => this.callbacks.delete(runId), `the reply callback of run ${runId}`);
  }
}

// ------------------------------------------------------------------------------------------- workloads

interface Workload {
  id: string;
  title: string;
  what: string;
  baseline: boolean;
  /** Conversations the runs go to (a multiple of the concurrency: each one is used by one loop). */
  sessions: number;
  runs: number;
  concurrency: number;
  /** Successful llm attempts a run must have in its trace (undefined: nothing to check). */
  llmAttempts?: number;
  /** Sends run `i` of conversation `session` and waits until it is done; returns its run id, if any. */
  run(i: number, session: number): Promise<string | undefined>;
}

interface Phase {
  runs: number;
  snapshot: MeterSnapshot;
  cpuMs: number;
  wallMs: number;
  settleMs: number;
  runIds: string[];
}

interface Measured {
  workload: Omit<Workload, "run">;
  first: Phase;
  steady: Phase;
  /** Objects (by class) whose alarm is armed for later than 10 s, before the workload and after it. */
  alarmsLater: { before: Record<string, number>; after: Record<string, number> };
}

/**
 * Loop k of `concurrency` takes runs k, k + c, …; conversation i % sessions belongs to one loop only, and gets
 * its next run no sooner than REVISIT_MS after the previous one was sent (so every message of a conversation has
 * its own 1 s index flush, as when people type, instead of sharing one with the messages of the same second).
 */
async function drive(w: Workload, runs: number, offset: number, sessionOf: (i: number) => number) {
  const ids: string[] = [];
  const lastSent = new Map<number, number>();
  await Promise.all(
    Array.from({ length: Math.min(w.concurrency, runs) }, async (_, k) => {
      for (let i = k; i < runs; i += w.concurrency) {
        const session = sessionOf(i);
        const wait = (lastSent.get(session) ?? 0) + REVISIT_MS - Date.now();
        if (wait > 0) await sleep(wait);
        lastSent.set(session, Date.now());
        const id = await w.run(offset + i, session);
        if (id) ids.push(id);
      }
    }),
  );
  return ids;
}

// ------------------------------------------------------------------------------------------------ meter

class Meter {
  private readonly pool: Pool;
  /** Producer binding → queue name, from the wrangler config. */
  private readonly queueOf: Record<string, string>;
  constructor(pool: Pool, queueOf: Record<string, string>) {
    this.pool = pool;
    this.queueOf = queueOf;
  }
  read(): Promise<MeterSnapshot> {
    return getJson<MeterSnapshot>(this.pool, "/__meter");
  }
  async reset(): Promise<void> {
    const res = await post(this.pool, "/__meter/reset", {}, "");
    if (res.status !== 200) throw new Error(`POST /__meter/reset answered ${res.status} ${res.text}`);
  }
  /** Messages sent to each queue that have not been delivered once yet. */
  backlog(s: MeterSnapshot): number {
    const sent = new Map<string, number>();
    for (const [key, v] of Object.entries(s.sent)) {
      const queue = this.queueOf[key.split("|")[0] as string] ?? key;
      sent.set(queue, (sent.get(queue) ?? 0) + v.messages);
    }
    let left = 0;
    for (const [queue, n] of sent) {
      const q = s.queues[queue];
      left += n - (q ? q.messages - q.redeliveries : 0);
    }
    return left;
  }
  /**
   * Waits until nothing is left to happen soon: no call, alarm due within 10 s, undelivered message or waitUntil,
   * and the counters unchanged over two reads 300 ms apart.
   */
  async quiet(): Promise<MeterSnapshot> {
    const started = Date.now();
    let last = "";
    let stable = 0;
    for (;;) {
      const s = await this.read();
      const soon = Object.values(s.alarms.soon).reduce((a, b) => a + b, 0);
      const sig = JSON.stringify([s.requests, s.queues, s.sent, s.fetch]);
      if (s.inflight === 0 && soon === 0 && this.backlog(s) <= 0 && sig === last) {
        if (++stable >= 2) return s;
      } else stable = 0;
      last = sig;
      if (Date.now() - started > SETTLE_TIMEOUT_MS)
        throw new Error(
          `the worker did not settle in ${SETTLE_TIMEOUT_MS / 1000} s (inflight ${s.inflight}, alarms due ${soon}, backlog ${this.backlog(s)})`,
        );
      checkDeadline("settling");
      await sleep(300);
    }
  }
}

// ------------------------------------------------------------------------------------------------ bill

const sum = (r: Record<string, number>, pick: (k: string) => boolean = () => true) =>
  Object.entries(r).reduce((n, [k, v]) => (pick(k) ? n + v : n), 0);
const classOf = (key: string) => key.split(".")[0] as string;

type LineKey =
  | "workerFetch"
  | "workerQueue"
  | "workerCpuMs"
  | "doRequests"
  | "doGbS"
  | "rowsRead"
  | "rowsWritten"
  | "queueOps";

interface Bill {
  counts: Record<LineKey, number>;
  /** US$ per million runs. */
  usd: Record<LineKey, number>;
  total: number;
}

/** The billed line items per run, from one phase's meter snapshot and workerd CPU. */
function bill(p: Phase, queueOf: Record<string, string>, grammy = false): Bill {
  const s = p.snapshot;
  const n = p.runs;
  const per = (x: number) => x / n;
  const fetches = grammy ? n : sum(s.fetch);
  const queueInvocations = Object.values(s.queues).reduce((a, q) => a + q.invocations, 0);
  const setAlarms = sum(s.storage, (k) => k.endsWith("|setAlarm"));
  const kvWrites = sum(s.storage, (k) => /\|(put|delete|deleteAll)$/.test(k));
  const kvReads = sum(s.storage, (k) => /\|(get|list)$/.test(k));
  // Queue operations: each message chunk is written, read and deleted once; a redelivery reads it again. A queue
  // that only receives dead letters has no sender here: its deliveries are its writes.
  const chunksPerMessage = new Map<string, number>();
  const sentTo = new Map<string, number>();
  for (const [key, v] of Object.entries(s.sent)) {
    const queue = queueOf[key.split("|")[0] as string] ?? key;
    sentTo.set(queue, (sentTo.get(queue) ?? 0) + v.chunks);
    chunksPerMessage.set(queue, v.chunks / Math.max(1, v.messages));
  }
  let ops = 0;
  for (const chunks of sentTo.values()) ops += 3 * chunks;
  for (const [queue, q] of Object.entries(s.queues)) {
    const c = chunksPerMessage.get(queue) ?? 1;
    ops += q.redeliveries * c;
    if (!sentTo.has(queue)) ops += 3 * q.messages * c;
  }
  const activeS = sum(s.activeMs) / 1000;
  const counts: Record<LineKey, number> = {
    workerFetch: per(fetches),
    workerQueue: per(queueInvocations),
    workerCpuMs: per(p.cpuMs),
    doRequests: per(sum(s.requests)),
    doGbS: per(activeS * GB_PER_OBJECT),
    rowsRead: per(sum(s.rowsRead) + kvReads),
    rowsWritten: per(sum(s.rowsWritten) + setAlarms + kvWrites),
    queueOps: per(ops),
  };
  const money: Record<LineKey, number> = {
    workerFetch: usd(PRICES.workerRequests, counts.workerFetch),
    workerQueue: usd(PRICES.workerRequests, counts.workerQueue),
    workerCpuMs: usd(PRICES.workerCpuMs, counts.workerCpuMs),
    doRequests: usd(PRICES.doRequests, counts.doRequests),
    doGbS: usd(PRICES.doDurationGbS, counts.doGbS),
    rowsRead: usd(PRICES.doRowsRead, counts.rowsRead),
    rowsWritten: usd(PRICES.doRowsWritten, counts.rowsWritten),
    queueOps: usd(PRICES.queueOperations, counts.queueOps),
  };
  const perMillion = Object.fromEntries(Object.entries(money).map(([k, v]) => [k, v * 1e6])) as Record<
    LineKey,
    number
  >;
  return { counts, usd: perMillion, total: Object.values(perMillion).reduce((a, b) => a + b, 0) };
}

const LINES: { key: LineKey; label: string; price: Price; unit: string }[] = [
  { key: "workerFetch", label: "Worker requests: fetch", price: PRICES.workerRequests, unit: "requests" },
  {
    key: "workerQueue",
    label: "Worker requests: queue consumer invocations",
    price: PRICES.workerRequests,
    unit: "invocations",
  },
  {
    key: "workerCpuMs",
    label: "Worker CPU (workerd CPU, upper bound)",
    price: PRICES.workerCpuMs,
    unit: "ms",
  },
  { key: "doRequests", label: "Durable Object requests", price: PRICES.doRequests, unit: "requests" },
  {
    key: "doGbS",
    label: "Durable Object duration (local wall clock)",
    price: PRICES.doDurationGbS,
    unit: "GB-s",
  },
  { key: "rowsRead", label: "SQLite rows read", price: PRICES.doRowsRead, unit: "rows" },
  {
    key: "rowsWritten",
    label: "SQLite rows written (incl. setAlarm)",
    price: PRICES.doRowsWritten,
    unit: "rows",
  },
  { key: "queueOps", label: "Queue operations", price: PRICES.queueOperations, unit: "ops" },
];

const fmt = (n: number) =>
  !Number.isFinite(n)
    ? "–"
    : n === 0
      ? "0"
      : Math.abs(n) >= 100
        ? n.toFixed(0)
        : Math.abs(n) >= 10
          ? n.toFixed(1)
          : Math.abs(n) >= 0.01
            ? n.toFixed(2)
            : n.toPrecision(2);
const money = (n: number) => (n === 0 ? "0" : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(3)}`);

// ----------------------------------------------------------------------------------------- breakdowns

interface MethodRow {
  method: string;
  requests: number;
  rowsRead: number;
  rowsWritten: number;
  setAlarm: number;
  statements: number;
  callers: string;
}

/** Per `Class.method`: requests, rows and setAlarm calls per run, and who made the calls (caller side). */
function methodRows(p: Phase, bindingClass: Record<string, string>): MethodRow[] {
  const s = p.snapshot;
  const n = p.runs;
  const keys = new Set([
    ...Object.keys(s.requests),
    ...Object.keys(s.rowsRead),
    ...Object.keys(s.rowsWritten),
    ...Object.keys(s.storage).map((k) => k.split("|")[0] as string),
  ]);
  const callers = new Map<string, string[]>();
  for (const [edge, count] of Object.entries(s.calls)) {
    const [from = "", to = ""] = edge.split("|");
    const [binding = "", method = ""] = to.split(".");
    const callee = `${bindingClass[binding] ?? binding}.${method}`;
    callers.set(callee, [...(callers.get(callee) ?? []), `${from} ${fmt(count / n)}`]);
  }
  return [...keys]
    .filter((k) => !k.startsWith("Worker."))
    .sort()
    .map((k) => ({
      method: k,
      requests: (s.requests[k] ?? 0) / n,
      rowsRead: (s.rowsRead[k] ?? 0) / n,
      rowsWritten: (s.rowsWritten[k] ?? 0) / n,
      setAlarm: (s.storage[`${k}|setAlarm`] ?? 0) / n,
      statements: (s.statements[k] ?? 0) / n,
      callers:
        (callers.get(k) ?? []).join(", ") ||
        (k.endsWith(".alarm") ? "its alarm" : k.endsWith(".(init)") ? "constructor (migrations)" : ""),
    }));
}

/** The statements that write (top 5) and read (top 3) the most rows per run, by where they ran. */
function statementRows(p: Phase): string[][] {
  const n = p.runs;
  const all = Object.entries(p.snapshot.sql);
  const byWritten = [...all].sort(([, a], [, b]) => b.written - a.written).slice(0, 5);
  const byRead = [...all]
    .sort(([, a], [, b]) => b.read - a.read)
    .filter((e) => !byWritten.includes(e))
    .slice(0, 3);
  return [...byWritten, ...byRead]
    .filter(([, v]) => v.written > 0 || v.read > 0)
    .map(([key, v]) => {
      const cut = key.indexOf("|");
      const text = key.slice(cut + 1);
      const short = text.length > 100 ? `${text.slice(0, 97)}…` : text;
      return [
        key.slice(0, cut),
        `\`${short.replace(/`/g, '"').replace(/\|/g, "\\|")}\``,
        fmt(v.n / n),
        fmt(v.read / n),
        fmt(v.written / n),
      ];
    });
}

/**
 * What a run's ledger and index rows cost again when their retention ends (not measured: the purges run 26 h
 * later): deleting a row writes as many rows as inserting it did, plus one purge alarm and its setAlarm.
 */
function deferredPurge(p: Phase): { rows: number; usd: number } {
  const inserted = Object.entries(p.snapshot.sql)
    .filter(([key]) =>
      /^insert into "?(deliveries|delivery_index)"?\s/i.test(key.slice(key.indexOf("|") + 1)),
    )
    .reduce((n, [, v]) => n + v.written, 0);
  const rows = inserted / p.runs;
  if (rows === 0) return { rows: 0, usd: 0 };
  return {
    rows,
    usd: (usd(PRICES.doRequests, 1) + usd(PRICES.doRowsWritten, rows + 1)) * 1e6,
  };
}

/** Queue consumer invocations per run if every send call were delivered as its own batch(es). */
function lowTrafficInvocations(
  p: Phase,
  queueOf: Record<string, string>,
  maxBatch: Record<string, number>,
): number {
  let n = 0;
  for (const [key, v] of Object.entries(p.snapshot.sent)) {
    const queue = queueOf[key.split("|")[0] as string] ?? key;
    n += v.calls * Math.ceil(v.messages / Math.max(1, v.calls) / (maxBatch[queue] ?? 10));
  }
  return n / p.runs;
}

const STATEMENT_HEAD = ["where", "statement", "runs of it", "rows read", "rows written"];

function sendRows(p: Phase, queueOf: Record<string, string>): string[][] {
  const n = p.runs;
  return Object.entries(p.snapshot.sent)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, v]) => {
      const [binding = "", from = ""] = key.split("|");
      return [
        `${queueOf[binding] ?? binding} ← ${from}`,
        fmt(v.messages / n),
        fmt(v.calls / n),
        fmt(v.bytes / Math.max(1, v.messages)),
        fmt(v.chunks / n),
      ];
    });
}

function queueRows(p: Phase): string[][] {
  const n = p.runs;
  return Object.entries(p.snapshot.queues)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([queue, q]) => [
      queue,
      fmt(q.invocations / n),
      fmt(q.messages / n),
      fmt(q.messages / Math.max(1, q.invocations)),
      fmt(q.redeliveries / n),
    ]);
}

// ------------------------------------------------------------------------------------------------- main

type WorkerOpts = ReturnType<typeof workerOptions>;

/** The workers reach the fakes on 127.0.0.1 directly (see bench/chat.ts); nothing else is called. */
function directOutbound(opts: WorkerOpts): WorkerOpts {
  const { outboundService: _refused, ...rest } = opts;
  return rest as WorkerOpts;
}

async function main(): Promise<number> {
  const tmp = mkdtempSync(join(TMP_BASE, "hookline-bench-cost-"));
  const startedAt = new Date();
  let runtime: Awaited<ReturnType<typeof startRuntime>> | undefined;
  let fake: FakeTelegram | undefined;
  let recorder: FakeServer | undefined;
  const pools: Pool[] = [];
  try {
    const source = describeSource(ROOT, args.ref);
    fake = await startFakeTelegram();
    const arrivals = new Arrivals(fake);
    recorder = await startRecordingServer((_req, res, record) => {
      const runId = (record.body as { runId?: string } | null)?.runId;
      if (runId) arrivals.callbacks.add(runId);
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
    log(`fake Bot API ${fake.url}, callback receiver ${recorder.url} (in this process)`);

    log(
      `temporary repo copy (${source.ref} @ ${source.commit.slice(0, 10)}${source.dirty ? ", uncommitted changes" : ""}) with config/${ENV_NAME}.yaml under ${tmp}`,
    );
    const root = prepareCopy({
      root: ROOT,
      tmp,
      ...(args.ref ? { ref: args.ref } : {}),
      envName: ENV_NAME,
      overlay: overlay(recorder.url),
      by: "bench/cost.ts",
      extra: [
        "bench/cost/worker.ts",
        "bench/cost/meter.ts",
        "bench/cost/snapshot.ts",
        "bench/chat/grammy-bot.ts",
        "bench/chat/grammy.wrangler.toml",
      ],
    });
    loadFromDisk(root, ENV_NAME); // validates the overlay before wrangler runs
    const costToml = join(root, "bench-cost.wrangler.toml");
    writeFileSync(costToml, costWranglerToml(readFileSync(join(root, "wrangler.toml"), "utf8")));
    const grammyToml = join(root, "bench", "chat", "grammy.wrangler.toml");

    log("bundling with wrangler deploy --dry-run …");
    const [costBuilt, grammyBuilt] = await Promise.all([
      dryRunBuild(root, costToml, join(tmp, "build", "cost")),
      dryRunBuild(root, grammyToml, join(tmp, "build", "grammy")),
    ]);
    const costConfig = await readWranglerConfig(costToml);
    const queueOf = Object.fromEntries(
      (costConfig.queues?.producers ?? []).map((p) => [p.binding, p.queue] as const),
    );
    const maxBatch = Object.fromEntries(
      (costConfig.queues?.consumers ?? []).map((c) => [c.queue, c.max_batch_size ?? 10] as const),
    );
    const bindingClass = Object.fromEntries(
      (costConfig.durable_objects?.bindings ?? []).map((b) => [b.name, b.class_name.replace(/^Metered/, "")]),
    );
    const hooklineOpts = directOutbound(
      workerOptions("hookline", costBuilt, costConfig, {
        ...TEST_BINDINGS,
        HOOKLINE_ENV: ENV_NAME,
        TELEGRAM_API_ROOT: fake.url,
      }),
    );
    const grammyOpts = directOutbound(
      workerOptions("grammy", grammyBuilt, await readWranglerConfig(grammyToml), {
        BOT_TOKEN: GRAMMY_TOKEN,
        TELEGRAM_API_ROOT: fake.url,
        SECRET_TOKEN: SECRET,
      }),
    );
    const persist = join(tmp, "state");
    mkdirSync(persist);
    runtime = await startRuntime([hooklineOpts, grammyOpts], persist);
    const workerd = findWorkerdPids();
    const cpuMs = () => workerd.reduce((n, pid) => n + cpuTicks(pid), 0) * 10;
    log(
      `workerd ${version("workerd")} (pid ${workerd.join(",") || "?"}) via miniflare ${version("miniflare")}`,
    );
    const hl = new Pool(runtime.urls.hookline as URL, { connections: 16 });
    const gr = new Pool(runtime.urls.grammy as URL, { connections: 8 });
    pools.push(hl, gr);
    const meter = new Meter(hl, queueOf);

    // Idle workerd CPU, for the record (timers, the queue broker).
    await settle(workerd, 5_000);
    const idle0 = cpuMs();
    await sleep(2_000);
    const idleCoresPct = ((cpuMs() - idle0) / 2_000) * 100;

    const token = (i: number) => `cost ${i}`;
    const workloads: Workload[] = [
      {
        id: "ack",
        title: "ack only",
        what: "baseline: a Telegram update to a bot with no workflow (verify, record, ack; index flush)",
        baseline: true,
        sessions: 32,
        runs: RUNS,
        concurrency: CONCURRENCY,
        async run(i, session) {
          const p = await postTelegram(hl, "/webhooks/telegram/bench-ack", 100_000 + session, token(i));
          if (p.status !== 200 || !p.text.includes('"accepted"'))
            throw new Error(`ack answered ${p.status} ${p.text.slice(0, 200)}`);
          return undefined;
        },
      },
      {
        id: "grammy",
        title: "grammY bot",
        what: "baseline: bench/chat/grammy-bot.ts answers the same update inline (one request, no storage)",
        baseline: true,
        sessions: 32,
        runs: RUNS,
        concurrency: CONCURRENCY,
        async run(i, session) {
          const chatId = 200_000 + session;
          const p = await postTelegram(gr, "/", chatId, token(i));
          if (p.status !== 200) throw new Error(`grammY answered ${p.status} ${p.text.slice(0, 200)}`);
          await arrivals.sendMessage(chatId, `echo: ${token(i)}`);
          return undefined;
        },
      },
      {
        id: "chat",
        title: "chat turn",
        what: "Telegram update → demo-bot (demo-chat: llm on echo → branch → reply) → sendMessage at the fake Bot API",
        baseline: false,
        sessions: 32,
        runs: RUNS,
        concurrency: CONCURRENCY,
        llmAttempts: 1,
        async run(i, session) {
          const chatId = 300_000 + session;
          const p = await postTelegram(hl, "/webhooks/telegram/demo-bot", chatId, token(i));
          const runId = runIdOf(p, "demo-bot");
          await arrivals.sendMessage(chatId, `echo: ${token(i)}`);
          return runId;
        },
      },
      {
        id: "order",
        title: "order",
        what: "Standard Webhooks delivery → orders (demo-order: llm → branch → reply) → signed callback",
        baseline: false,
        sessions: 32,
        runs: RUNS,
        concurrency: CONCURRENCY,
        llmAttempts: 1,
        async run(i, session) {
          const p = await postGeneric(hl, "orders", {
            type: "order.created",
            customer: { id: `cus_${session}` },
            order: { id: `ord_${i}`, total: 4200, currency: "EUR" },
          });
          const runId = runIdOf(p, "orders");
          await arrivals.callback(runId);
          return runId;
        },
      },
      {
        id: "seq10",
        title: "10 steps",
        what: `${SEQ} llm echo steps in sequence, then a reply (callback)`,
        baseline: false,
        sessions: 32,
        runs: RUNS,
        concurrency: CONCURRENCY,
        llmAttempts: SEQ,
        async run(i, session) {
          const p = await postGeneric(hl, "bench-seq10", {
            customer: { id: `seq_${session}` },
            text: token(i),
          });
          const runId = runIdOf(p, "bench-seq10");
          await arrivals.callback(runId);
          return runId;
        },
      },
      {
        id: "fanout100",
        title: "fan-out 100",
        what: `a parallel forEach over ${FAN} items (echo llm, concurrency ${FAN}), then a reply (callback)`,
        baseline: false,
        sessions: 8,
        runs: FANOUT_RUNS,
        concurrency: Math.min(2, CONCURRENCY),
        llmAttempts: FAN,
        async run(i, session) {
          const p = await postGeneric(hl, "bench-fanout100", {
            customer: { id: `fan_${session}` },
            items: Array.from({ length: FAN }, (_, k) => `${i}.${k}`),
          });
          const runId = runIdOf(p, "bench-fanout100");
          await arrivals.callback(runId);
          return runId;
        },
      },
    ];
    const only = args.only ? new Set(args.only.split(",")) : undefined;
    const chosen = workloads.filter((w) => !only || only.has(w.id));

    const phase = async (w: Workload, runs: number, offset: number, sessionOf: (i: number) => number) => {
      await meter.quiet();
      await meter.reset();
      const cpu0 = cpuMs();
      const wall0 = Date.now();
      const runIds = await drive(w, runs, offset, sessionOf);
      const settle0 = Date.now();
      const snapshot = await meter.quiet();
      const p: Phase = {
        runs,
        snapshot,
        cpuMs: cpuMs() - cpu0,
        wallMs: Date.now() - wall0,
        settleMs: Date.now() - settle0,
        runIds,
      };
      // Checked after the meter was read, so the checks are not billed.
      await checkRuns(hl, w, runIds);
      const failures = sum(snapshot.failures);
      if (failures > 0)
        throw new Error(
          `${w.id}: ${failures} Durable Object call(s) failed: ${JSON.stringify(snapshot.failures)}`,
        );
      return p;
    };

    const measured: Measured[] = [];
    let offset = 0;
    for (const w of chosen) {
      const before = (await meter.quiet()).alarms.later;
      const first = await phase(w, w.sessions, offset, (i) => i);
      offset += w.sessions;
      const steady = await phase(w, w.runs, offset, (i) => i % w.sessions);
      offset += w.runs;
      const { run: _run, ...workload } = w;
      measured.push({
        workload,
        first,
        steady,
        alarmsLater: { before, after: steady.snapshot.alarms.later },
      });
      const b = bill(steady, queueOf, w.id === "grammy");
      log(
        `${w.id.padEnd(10)} ${w.runs} runs in ${(steady.wallMs / 1000).toFixed(1)} s (+${(steady.settleMs / 1000).toFixed(1)} s to settle): ` +
          `${fmt(b.counts.doRequests)} DO requests, ${fmt(b.counts.rowsWritten)} rows written, ${fmt(b.counts.queueOps)} queue ops, ` +
          `${fmt(b.counts.workerCpuMs)} CPU ms per run → ${money(b.total)} per million runs`,
      );
    }

    // ----------------------------------------------------------------------------------------- report
    const bills = measured.map((m) => ({
      id: m.workload.id,
      bill: bill(m.steady, queueOf, m.workload.id === "grammy"),
    }));
    const firstBills = measured.map((m) => ({
      id: m.workload.id,
      bill: bill(m.first, queueOf, m.workload.id === "grammy"),
    }));
    const head = [
      "per run",
      ...measured.map((m) => `${m.workload.id}${m.workload.baseline ? " (baseline)" : ""}`),
    ];
    const countRows = [
      ["item (count per run)", ...head.slice(1)],
      ...LINES.map((l) => [`${l.label} (${l.unit})`, ...bills.map((b) => fmt(b.bill.counts[l.key]))]),
    ];
    const usdRows = [
      ["item (US$ per million runs)", ...head.slice(1)],
      ...LINES.map((l) => [l.label, ...bills.map((b) => money(b.bill.usd[l.key]))]),
      ["**total**", ...bills.map((b) => `**${money(b.bill.total)}**`)],
      ["first run of a conversation: total", ...firstBills.map((b) => money(b.bill.total))],
    ];
    console.log(`\n${consoleTable(countRows)}\n\n${consoleTable(usdRows)}\n`);
    const breakdowns = measured.map((m) => {
      const rows = methodRows(m.steady, bindingClass);
      const firstRows = methodRows(m.first, bindingClass);
      return {
        id: m.workload.id,
        rows,
        firstRows,
        sends: sendRows(m.steady, queueOf),
        queues: queueRows(m.steady),
        statements: statementRows(m.steady),
      };
    });
    for (const b of breakdowns) {
      if (b.rows.length === 0) continue;
      console.log(`${b.id}:`);
      console.log(consoleTable(methodTable(b.rows)));
      console.log(consoleTable([STATEMENT_HEAD, ...b.statements]));
      console.log();
    }

    const raw = {
      date: startedAt.toISOString(),
      durationSec: Math.round((Date.now() - t0) / 1000),
      source,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        loadavgAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
        node: process.version,
        workerd: version("workerd"),
        miniflare: version("miniflare"),
        wrangler: version("wrangler"),
        idleWorkerdCpuPct: idleCoresPct,
      },
      method: {
        runs: RUNS,
        fanoutRuns: FANOUT_RUNS,
        concurrency: CONCURRENCY,
        revisitMs: REVISIT_MS,
        stateDir: TMP_BASE,
      },
      prices: PRICES,
      workloads: measured.map((m, i) => ({
        ...m,
        bill: bills[i]?.bill,
        firstBill: firstBills[i]?.bill,
      })),
    };
    if (!args["no-write"]) {
      const jsonPath = join(ROOT, "bench-results", "cost.json");
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify(raw, null, 2)}\n`);
      const docPath = join(ROOT, "docs", "benchmarks.md");
      writeDocSection(
        docPath,
        docSection({ raw, measured, countRows, usdRows, breakdowns, bills, firstBills, queueOf, maxBatch }),
        DOC_START,
        DOC_END,
      );
      formatDoc(ROOT, docPath);
      log("wrote bench-results/cost.json and docs/benchmarks.md (cost section)");
    }
    log(`done in ${raw.durationSec} s`);
    return 0;
  } finally {
    await Promise.allSettled(pools.map((p) => p.close()));
    if (runtime) await runtime.mf.dispose();
    if (fake) await fake.close();
    if (recorder) await recorder.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface TraceShape {
  status: string;
  steps: { status: string; mode?: string }[];
}

/** Every run completed, with the llm attempts it should have (after the meter was read). */
async function checkRuns(pool: Pool, w: Workload, runIds: string[]): Promise<void> {
  if (w.llmAttempts === undefined) return;
  const bad: string[] = [];
  for (const id of runIds) {
    const t = await getJson<TraceShape>(pool, `/runs/${id}`, ADMIN);
    // Pure steps (branch, reply, parallel…) are listed in the trace too; only attempts are counted here.
    const ok = t.steps.filter((s) => s.mode !== "pure" && s.status === "succeeded").length;
    if (t.status !== "completed" || ok !== w.llmAttempts)
      bad.push(`${id}: ${t.status}, ${ok} attempts succeeded`);
  }
  if (bad.length > 0)
    throw new Error(`${w.id}: ${bad.length} run(s) not as expected: ${bad.slice(0, 3).join("; ")}`);
}

function methodTable(rows: MethodRow[]): string[][] {
  /** What a method's requests and rows cost per million runs (duration and queues are billed elsewhere). */
  const cost = (r: MethodRow) =>
    (usd(PRICES.doRequests, r.requests) +
      usd(PRICES.doRowsRead, r.rowsRead) +
      usd(PRICES.doRowsWritten, r.rowsWritten + r.setAlarm)) *
    1e6;
  return [
    [
      "Class.method",
      "requests",
      "rows read",
      "rows written",
      "setAlarm",
      "SQL statements",
      "US$/M runs",
      "called by (calls per run)",
    ],
    ...rows.map((r) => [
      r.method,
      fmt(r.requests),
      fmt(r.rowsRead),
      fmt(r.rowsWritten),
      fmt(r.setAlarm),
      fmt(r.statements),
      money(cost(r)),
      r.callers,
    ]),
  ];
}

const DOC_START = "<!-- cost:start -->";
const DOC_END = "<!-- cost:end -->";

function docSection(d: {
  raw: {
    date: string;
    durationSec: number;
    source: { ref: string; commit: string; dirty: boolean };
    machine: {
      cpus: number;
      cpuModel: string;
      loadavgAtEnd: number[];
      node: string;
      workerd: string;
      miniflare: string;
      wrangler: string;
      idleWorkerdCpuPct: number;
    };
  };
  measured: Measured[];
  countRows: string[][];
  usdRows: string[][];
  breakdowns: {
    id: string;
    rows: MethodRow[];
    firstRows: MethodRow[];
    sends: string[][];
    queues: string[][];
    statements: string[][];
  }[];
  bills: { id: string; bill: Bill }[];
  firstBills: { id: string; bill: Bill }[];
  queueOf: Record<string, string>;
  maxBatch: Record<string, number>;
}): string {
  const { raw, measured } = d;
  const m = raw.machine;
  const code = `${raw.source.ref} at ${raw.source.commit.slice(0, 10)}${raw.source.dirty ? " with uncommitted changes" : ""}`;
  const workloadRows = [
    ["workload", "what", "conversations", "runs", "in flight"],
    ...measured.map((x) => [
      x.workload.id,
      x.workload.what,
      String(x.workload.sessions),
      String(x.workload.runs),
      String(x.workload.concurrency),
    ]),
  ];
  const priceRows = [
    ["item", "list price (US$)", "source"],
    ...Object.values(PRICES).map((p) => [
      p.item,
      `${p.usd} per ${p.per === 1e6 ? "million" : p.per} ${p.units}`,
      `${p.source} (${p.taken})`,
    ]),
  ];
  const sections = d.breakdowns
    .filter((b) => b.rows.length > 0)
    .map((b) => {
      const x = measured.find((y) => y.workload.id === b.id) as Measured;
      const fb = d.firstBills.find((y) => y.id === b.id)?.bill;
      const sb = d.bills.find((y) => y.id === b.id)?.bill;
      const objects = Object.entries(x.steady.snapshot.objects)
        .map(([c, n]) => `${c} ${fmt(n / x.steady.runs)}`)
        .join(", ");
      const activeMs = Object.entries(x.steady.snapshot.activeMs)
        .map(([c, ms]) => `${c} ${fmt(ms / x.steady.runs)} ms`)
        .join(", ");
      const later = Object.entries(x.alarmsLater.after)
        .map(([c, n]) => [c, n - (x.alarmsLater.before[c] ?? 0)] as const)
        .filter(([, n]) => n > 0)
        .map(([c, n]) => `${n} ${c}`)
        .join(", ");
      const deferred = deferredPurge(x.steady);
      const low = lowTrafficInvocations(x.steady, d.queueOf, d.maxBatch);
      const measuredInv = sb?.counts.workerQueue ?? 0;
      const extra =
        fb && sb
          ? `The first run of each of the ${x.workload.sessions} conversations (new SessionObject, its migrations) cost ${fmt(fb.counts.doRequests)} DO requests, ${fmt(fb.counts.rowsWritten)} rows written and ${fmt(fb.counts.rowsRead)} rows read per run (steady: ${fmt(sb.counts.doRequests)} / ${fmt(sb.counts.rowsWritten)} / ${fmt(sb.counts.rowsRead)}): ${money(fb.total)} per million runs.`
          : "";
      return `**${b.id}** (${x.workload.what}). Per run, steady state; objects constructed per run: ${objects || "none"}; active time per run: ${activeMs || "none"}.
${extra}${
  low > measuredInv + 0.005
    ? ` Queue consumer invocations: ${fmt(measuredInv)} per run here, because runs overlapped and batches filled; with one run at a time every send call is its own batch (EVENTS still merges sends less than 1 s apart), up to ${fmt(low)} per run (+${money(usd(PRICES.workerRequests, low - measuredInv) * 1e6)} per million runs).`
    : ""
}${
  deferred.rows > 0
    ? ` Deferred, not in the tables: ${later ? `${later} alarm(s) were left armed (retention purges). ` : ""}When a delivery's retention ends, a purge alarm deletes what it inserted into the ledger and the index (${fmt(deferred.rows)} rows written per run, mirroring the inserts) and re-arms: about +1 request, +${fmt(deferred.rows + 1)} rows written, ≈ ${money(deferred.usd)} per million runs.`
    : ""
}

${markdownTable(methodTable(b.rows), [0, 7])}

${b.statements.length ? `Statements with the most rows (per run):\n\n${markdownTable([STATEMENT_HEAD, ...b.statements], [0, 1])}\n\n` : ""}${
  b.sends.length
    ? `${markdownTable([["queue ← sender", "messages", "send calls", "bytes/message", "64 KB chunks"], ...b.sends], [0])}

`
    : ""
}${
  b.queues.length
    ? markdownTable(
        [["queue consumer", "invocations", "messages", "messages/batch", "redeliveries"], ...b.queues],
        [0],
      )
    : ""
}`;
    });
  return `## Cost per run

_Last run: ${raw.date} · ${code} · \`npm run bench:cost\` · ${raw.durationSec} s · every run completed, 0 failed calls_

What Cloudflare would bill per completed run, counted on the real worker by a meter (bench/cost/) and priced at
list prices (below). Counts are exact for the code as run; two lines are estimates from this machine: workerd CPU
(${m.cpus} shared cores, ${m.cpuModel}; load average at the end ${m.loadavgAtEnd.join(" / ")}; idle workerd ${m.idleWorkerdCpuPct.toFixed(1)} % of a core)
and Durable Object duration (local wall clock). Node ${m.node}, workerd ${m.workerd} via miniflare ${m.miniflare}, wrangler ${m.wrangler}.

${markdownTable(workloadRows, [0, 1])}

**Counts per run** (steady state: conversations already exist), baselines in the same run:

${markdownTable(d.countRows, [0])}

**US$ per million runs** (list price beyond the included amounts; allowances and the $5/month minimum ignored):

${markdownTable(d.usdRows, [0])}

**What each count is.** Worker requests: one per webhook POST (fetch) and one per delivered queue batch (STEPS,
EVENTS, dead letters). Durable Object requests: one per RPC method call on a stub and one per alarm invocation, by
class and method below ("called by" is counted at the caller; \`(init)\` is an object's constructor running its
migrations, \`(background)\` work with no call of its own). Rows: the sum of every SQL cursor's \`rowsRead\` /
\`rowsWritten\` (drizzle's statements included), plus one row written per \`setAlarm\` (as billed). Queue operations:
3 per message per 64 KB chunk (write, read, delete) plus one read per redelivery. CPU: workerd's user+system time
over the phase ÷ runs; it includes the Durable Objects and Miniflare's queue broker, which Cloudflare does not bill
as Worker CPU, so it is an upper bound. Duration: per object, the wall time during which at least one call,
alarm, waitUntil or constructor was running (an outstanding \`watchCancel\` keeps a RunObject active), × 128 MB.
In the tables per workload below, "US$/M runs" is that method's requests, rows and setAlarm calls at list price
per million runs (work a call leaves running in the background, such as the session's chat drain after
\`record\` acknowledged, is charged to that call).
Batching depends on traffic: EVENTS waits up to 1 s for 100 messages, so at low traffic each EVENTS send call
becomes its own consumer invocation (see "send calls" below), and a session's index flush alarm covers every
record of its last second.

${sections.join("\n\n")}

**Prices** (taken ${PRICES.workerRequests.taken}, from stored copies of the pages; no free or included allowances):

${markdownTable(priceRows, [0, 1, 2])}

Not counted: ${NOT_COUNTED} Nor the purges that run when retention ends (estimated per workload above, as
"deferred").

**Method.** The worker is src/index.ts with a meter around it (bench/cost/worker.ts): each Durable Object class
is a subclass of the real one (\`Metered<Class>\` in a wrangler config generated from the root wrangler.toml) whose
every prototype method counts a request; its \`ctx.storage\` is a proxy whose \`sql.exec\` keeps each cursor until
the call ends and then sums its rows; queue producers and Durable Object namespaces in \`env\` are wrapped to count
sends and calls at the caller; \`fetch\` and \`queue\` are wrapped to count invocations. Module-level counters are
shared by every object of the worker (one local isolate) and read at \`GET /__meter\`. Run from a temporary copy
of the repo (${code}) with the overlay \`config/${ENV_NAME}.yaml\` generated by bench/cost.ts, bundled with
\`wrangler deploy --dry-run\`, run through Miniflare (Durable Objects on SQLite under ${TMP_BASE}, queues from
wrangler.toml); the fake Bot API and the callback receiver run in the bench process on 127.0.0.1. Each workload
first sends one run per conversation (reported as "first run of a conversation"), resets the meter, then sends its
runs with a fixed number in flight, each conversation used by one sender at a time and sent its next run no
sooner than ${REVISIT_MS} ms after its previous one (so each message gets its own index flush, as in a chat where people
type; faster conversations share flushes and cost less); after the last run it waits
until no call, queued message, waitUntil or alarm due within 10 s is left, reads the meter, and only then checks
every run's trace (completed, every llm attempt succeeded).

Raw numbers: \`bench-results/cost.json\` (git-ignored).
`;
}

process.exitCode = await main().catch((err) => {
  console.error(err);
  return 1;
});
