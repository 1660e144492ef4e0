/**
 * `npm run bench:chat`: a Telegram chat end to end through the real Hookline worker, against a fake Bot API in
 * this process (test/servers/fake-telegram.ts) and a plain grammY bot measured in the same run.
 *
 *   npm run bench:chat                                                      # ~45 s
 *   npx node bench/chat.ts --messages 20 --stop-rounds 1 --steady-rounds 0 --no-write   # a quick look; writes nothing
 *   npx node bench/chat.ts --stop-queue wrangler --no-write                 # shows the local queue limit (fails)
 *   BENCH_WORKERD_INSPECTOR=9239 BENCH_WORKERD_CPUPROF=/tmp/stop npx node bench/chat.ts --no-write
 *                                       # + a CPU profile of the isolate during each /stop burst (/tmp/stop.json)
 *
 * 1. Telegram end to end: a webhook POST (secret token header) → the first `sendMessage` for that chat at the fake
 *    Bot API (workflow: one `echo` llm step + `reply`), distinct chats, 5 in flight. Baseline: a grammY bot
 *    (`webhookCallback`, `ctx.reply`) pointed at the same fake, interleaved with Hookline in blocks. Plus the
 *    per-part breakdown from each run's trace, and an ack diagnostic (a message that starts a run vs. one that does not).
 * 2. /stop under load: 20 chats stream a slow `echo` reply at once (`/stream`, `stream: true`); when every chat has
 *    its first message, `/stop` goes to all 20 at once (judged; "steady" rounds wait 1.5 s more, reported). Per chat:
 *    /stop POST → END OF STREAM, → "Stopped after N ms." at the fake, → the step attempt aborted (trace); and N.
 *
 * END OF STREAM, per chat: the later of (a) the "Stopped after N ms." message and (b) the last streamed edit
 * (editMessageText) of that chat, both as received by the fake Bot API, after which the chat stays quiet for
 * QUIET_MS (2.5× the 1 s edit interval, so a stream that kept going would show): the moment the chat stops changing.
 *
 * Hookline runs from a temporary copy of the repo (src/, hookline.yaml, config/, migrations/, wrangler.toml;
 * node_modules symlinked) plus one overlay, config/bench-chat.yaml, generated below; bundled with
 * `wrangler deploy --dry-run` and run through Miniflare with its Durable Objects (SQLite) and queues from
 * wrangler.toml: phase 1 in one workerd beside the grammY bot, phase 2 in a fresh workerd whose STEPS consumer takes
 * a bigger batch (STOP QUEUE below). Both workers call the fake Bot API on 127.0.0.1 directly.
 * Clocks: the fake's `receivedAt` (Date.now() in this process) minus Date.now() when the POST was sent.
 * Prints a table, writes bench-results/chat.json and the chat section of docs/benchmarks.md.
 * Exits 1 only if the run is invalid (an error response, a wrong reply, a stream that did not stop, a timeout).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { loadFromDisk } from "../src/cli/load.ts";
import { TEST_BINDINGS } from "../test/fixtures/secrets.ts";
import { type FakeTelegram, startFakeTelegram, type TelegramCall } from "../test/servers/fake-telegram.ts";
import { measureThroughput, type ThroughputRound } from "./chat/throughput.ts";
import { dryRunBuild } from "./lib/build.ts";
import { CdpProfiler, type CpuProfile, summarizeProfiles } from "./lib/cdp-profiler.ts";
import { cpuTicks, findWorkerdPids, settle } from "./lib/proc.ts";
import { consoleTable, formatDoc, markdownTable, writeDocSection } from "./lib/report.ts";
import { readWranglerConfig, startRuntime, workerOptions } from "./lib/runtime.ts";
import { describeSource, prepareCopy } from "./lib/scratch.ts";
import { f0, f1, f2, pair, pct, type Stats, stats, verdict } from "./lib/stats.ts";

// Wrangler and Miniflare offline and quiet: no metrics, no request.cf lookup (as vitest.config.ts does).
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "60" },
    concurrency: { type: "string", default: "5" },
    warmup: { type: "string", default: "5" },
    "stop-chats": { type: "string", default: "20" },
    "stop-rounds": { type: "string", default: "3" },
    /**
     * Which STEPS consumer the /stop phase uses: `batch` (default) = wrangler.toml's, but with a batch that holds
     * every chat's first attempt (see STOP QUEUE below); `wrangler` = wrangler.toml's as is (shows the
     * local broker's one-batch-at-a-time limit: the streams cannot all run at once).
     */
    "stop-queue": { type: "string", default: "batch" },
    /** Rounds that wait STEADY_DELAY_MS after every stream is visible before /stop (reported, not judged). */
    "steady-rounds": { type: "string", default: "3" },
    /** Chat turn throughput: chats in the closed loop, measured rounds per bot, window per round (ms). */
    "turn-chats": { type: "string", default: "64" },
    "turn-rounds": { type: "string", default: "2" },
    "turn-window": { type: "string", default: "5000" },
    "no-write": { type: "boolean", default: false },
  },
});
const TURN_CHATS = Math.max(1, Number(args["turn-chats"]));
const TURN_ROUNDS = Math.max(1, Number(args["turn-rounds"]));
const TURN_WINDOW_MS = Math.max(500, Number(args["turn-window"]));
const MESSAGES = Math.max(10, Number(args.messages));
const CONCURRENCY = Math.max(1, Number(args.concurrency));
const WARMUP = Math.max(1, Number(args.warmup));
const STOP_CHATS = Math.max(1, Number(args["stop-chats"]));
const STOP_ROUNDS = Math.max(1, Number(args["stop-rounds"]));
const STOP_QUEUE = args["stop-queue"] === "wrangler" ? "wrangler" : "batch";
const STEADY_ROUNDS = Math.max(0, Number(args["steady-rounds"]));
/** Steady rounds: every stream has shown an edit or two before /stop (edits are 1 s apart). */
const STEADY_DELAY_MS = 1_500;
/** Messages per Hookline / grammY block; blocks alternate so drift hits both sides. */
const BLOCK = 10;
const ENV_NAME = "bench-chat";
/** The slow stream: echo?delayMs=50 over ~123 words ≈ 6 s unless stopped. */
const STREAM_DELAY_MS = 50;
const STREAM_WORDS = 120;
const STREAM_TAIL = "streamend";
/** Hookline's streaming reply edits at most once a second per chat (src/queue/execute.ts). */
const EDIT_INTERVAL_MS = 1_000;
const QUIET_MS = 2_500;
/** STOP QUEUE: the batch window that lets every chat's first attempt into one consumer batch. */
const STOP_BATCH_TIMEOUT_S = 2;
const HARD_LIMIT_MS = 4 * 60_000;
const TMP_BASE = process.env.BENCH_TMPDIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const TARGETS = { stopP95Ms: 100, turnsVsGrammy: 0.25, e2eP50VsGrammy: 5, cpuPerTurnMs: 2 } as const;
const SECRET = TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN;
const GRAMMY_TOKEN = "654321:bench-grammy-token";

const t0 = Date.now();
const log = (msg: string) => console.log(`[bench:chat] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const version = (pkg: string) =>
  (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string })
    .version;

function checkDeadline(what: string): void {
  if (Date.now() - t0 > HARD_LIMIT_MS)
    throw new Error(`bench exceeded its ${HARD_LIMIT_MS / 1000} s bound (${what})`);
}

// ------------------------------------------------------------------------------------------------ config

const STREAM_PROMPT = `{{ event.text }} ${Array.from({ length: STREAM_WORDS }, (_, i) => `w${i}`).join(" ")} ${STREAM_TAIL}`;

/** config/bench-chat.yaml in the temporary copy (JSON is YAML), merged over hookline.yaml. */
const OVERLAY = {
  sources: {
    // demo-bot already names botTokenEnv TELEGRAM_DEMO_BOT_TOKEN and apiRootEnv TELEGRAM_API_ROOT.
    "demo-bot": { workflow: "bench-chat-echo" },
    // The same bot without a workflow: its messages are recorded and acked, nothing runs (the ack diagnostic).
    "bench-ack": { channel: "telegram", secretEnv: "TELEGRAM_DEMO_SECRET_TOKEN" },
  },
  triggers: [
    {
      id: "bench-stream",
      match: { source: "demo-bot", command: "/stream" },
      workflow: "bench-chat-stream",
    },
  ],
  workflows: {
    "bench-chat-echo": {
      steps: [
        { id: "answer", kind: "llm", model: "echo", prompt: "{{ event.text }}" },
        { id: "say", kind: "reply", text: "{{ steps.answer.output.text }}" },
      ],
    },
    "bench-chat-stream": {
      steps: [
        {
          id: "answer",
          kind: "llm",
          model: `echo?delayMs=${STREAM_DELAY_MS}`,
          stream: true,
          prompt: STREAM_PROMPT,
        },
      ],
    },
  },
};

// ------------------------------------------------------------------------------------------------- stats

// ---------------------------------------------------------------------------------------- fake Bot API

/** Indexes the fake's calls by chat as they arrive (same process: no HTTP polling of /__calls). */
class BotWatch {
  private readonly fake: FakeTelegram;
  private seen = 0;
  private readonly byChat = new Map<string, TelegramCall[]>();
  constructor(fake: FakeTelegram) {
    this.fake = fake;
  }

  private update(): void {
    const calls = this.fake.calls;
    for (; this.seen < calls.length; this.seen++) {
      const call = calls[this.seen] as TelegramCall;
      const chat = String(call.body.chat_id ?? "");
      const list = this.byChat.get(chat) ?? [];
      list.push(call);
      this.byChat.set(chat, list);
    }
  }

  calls(chatId: number, methods?: string[]): TelegramCall[] {
    this.update();
    const all = this.byChat.get(String(chatId)) ?? [];
    return methods ? all.filter((c) => methods.includes(c.method)) : all;
  }

  /** Total calls seen so far (all chats). */
  count(): number {
    this.update();
    return this.seen;
  }

  /** Waits (polling memory every 2 ms; timings come from receivedAt, not the poll) until `find` returns a call. */
  async waitFor(
    find: () => TelegramCall | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<TelegramCall> {
    const started = Date.now();
    for (;;) {
      const found = find();
      if (found) return found;
      if (Date.now() - started > timeoutMs)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      checkDeadline(what);
      await sleep(2);
    }
  }

  firstSend(chatId: number, timeoutMs: number): Promise<TelegramCall> {
    return this.waitFor(
      () => this.calls(chatId, ["sendMessage"])[0],
      timeoutMs,
      `the first sendMessage to chat ${chatId}`,
    );
  }
}

// ------------------------------------------------------------------------------------------------- HTTP

let nextUpdate = 500_000_000;

function update(chatId: number, text: string) {
  const from = { id: chatId, is_bot: false, first_name: "Ada" };
  return {
    update_id: nextUpdate++,
    message: {
      message_id: nextUpdate % 100_000,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private" },
      from,
      text,
    },
  };
}

interface Posted {
  /** Date.now() just before the request left (the same clock as the fake's receivedAt). */
  sentAt: number;
  status: number;
  body: string;
  /** POST → full answer, client side. */
  ackMs: number;
}

/** POSTs one Telegram update with the webhook's secret token header, as Telegram does. */
async function postUpdate(pool: Pool, path: string, chatId: number, text: string): Promise<Posted> {
  const body = JSON.stringify(update(chatId, text));
  const sentAt = Date.now();
  const started = performance.now();
  const res = await pool.request({
    method: "POST",
    path,
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    body,
  });
  const answer = await res.body.text();
  return { sentAt, status: res.statusCode, body: answer, ackMs: performance.now() - started };
}

interface TraceStep {
  stepId: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  latencyMs: number | null;
  abortLatencyMs: number | null;
}
interface Trace {
  runId: string;
  status: string;
  createdAt: string;
  finishedAt: string | null;
  cancel: {
    source: string | null;
    requestedAt: string | null;
    acknowledgedAt: string | null;
    latencyMs: number | null;
  } | null;
  steps: TraceStep[];
}
const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : Number.NaN);

async function trace(pool: Pool, runId: string): Promise<Trace | null> {
  const res = await pool.request({
    method: "GET",
    path: `/runs/${runId}`,
    headers: { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` },
  });
  const text = await res.body.text();
  if (res.statusCode === 404) return null;
  if (res.statusCode !== 200)
    throw new Error(`GET /runs/${runId} answered ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text) as Trace;
}

async function waitTrace(pool: Pool, runId: string, done: (t: Trace) => boolean, timeoutMs: number) {
  const started = Date.now();
  for (;;) {
    const t = await trace(pool, runId);
    if (t && done(t)) return t;
    if (Date.now() - started > timeoutMs)
      throw new Error(`run ${runId} not done after ${timeoutMs} ms (status ${t?.status ?? "not started"})`);
    checkDeadline(`trace of ${runId}`);
    await sleep(20);
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function inFlight<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

// ------------------------------------------------------------------------------- 1. end to end (echo)

interface Target {
  id: "hookline" | "grammy";
  pool: Pool;
  path: string;
}

interface E2eSample {
  target: string;
  chatId: number;
  /** POST sent → the first sendMessage for the chat received by the fake. */
  e2eMs: number;
  /** POST → webhook answer (client). grammY answers after its reply; Hookline before its run. */
  ackMs: number;
  /** Hookline: the run the message started, and the POST's send time (for the breakdown). */
  runId?: string;
  sentAt: number;
  sendAt: number;
}

let nextChat = 810_000_000;

async function e2eMessage(t: Target, watch: BotWatch): Promise<E2eSample> {
  const chatId = nextChat++;
  const text = `hello ${chatId}`;
  const posted = await postUpdate(t.pool, t.path, chatId, text);
  const expected = t.id === "hookline" ? 202 : 200;
  if (posted.status !== expected)
    throw new Error(`${t.id} answered ${posted.status} ${posted.body.slice(0, 200)} (expected ${expected})`);
  const sent = await watch.firstSend(chatId, 15_000);
  if (sent.body.text !== `echo: ${text}` || sent.status !== 200)
    throw new Error(`${t.id} sent ${JSON.stringify(sent.body.text)} (${sent.status}) to chat ${chatId}`);
  const runId = t.id === "hookline" ? (JSON.parse(posted.body) as { runId?: string }).runId : undefined;
  return {
    target: t.id,
    chatId,
    e2eMs: sent.receivedAt - posted.sentAt,
    ackMs: posted.ackMs,
    runId,
    sentAt: posted.sentAt,
    sendAt: sent.receivedAt,
  };
}

/**
 * Where Hookline's end to end goes, per message, from its run trace (server clocks, whole ms) and the fake:
 * POST sent → run created (webhook, session record, intent, RunObject.start); run created → llm attempt started
 * (outbox send, queue hop, stepStarted); the echo attempt; attempt finished → sendMessage at the fake (stepFinished,
 * the reply step, the RunObject's reply delivery, the Bot API call). Also POST → sendChatAction typing.
 */
async function e2eParts(pool: Pool, samples: E2eSample[], watch: BotWatch) {
  const rows = await inFlight(samples, 4, async (s) => {
    const t = await waitTrace(pool, s.runId as string, (x) => x.status === "completed", 10_000);
    const step = t.steps.find((x) => x.stepId === "answer") as TraceStep;
    const typing = watch.calls(s.chatId, ["sendChatAction"])[0];
    return {
      toRun: ms(t.createdAt) - s.sentAt,
      toStep: ms(step.startedAt) - ms(t.createdAt),
      step: ms(step.finishedAt) - ms(step.startedAt),
      toSend: s.sendAt - ms(step.finishedAt),
      typing: typing ? typing.receivedAt - s.sentAt : Number.NaN,
      /** The webhook answer's arrival at the client minus the run's creation / the typing call at the fake. */
      ackVsRun: s.sentAt + s.ackMs - ms(t.createdAt),
      ackVsTyping: typing ? s.sentAt + s.ackMs - typing.receivedAt : Number.NaN,
    };
  });
  const pick = (k: keyof (typeof rows)[number]) => stats(rows.map((r) => r[k]).filter(Number.isFinite));
  return {
    toRun: pick("toRun"),
    toStep: pick("toStep"),
    step: pick("step"),
    toSend: pick("toSend"),
    typing: pick("typing"),
    ackVsRun: pick("ackVsRun"),
    ackVsTyping: pick("ackVsTyping"),
    /** Messages whose webhook answer reached the client after the run existed / after typing reached the fake. */
    ackAfterRun: rows.filter((r) => r.ackVsRun > 0).length,
    ackAfterTyping: rows.filter((r) => r.ackVsTyping > 0).length,
    n: rows.length,
  };
}
type E2eParts = Awaited<ReturnType<typeof e2eParts>>;

/**
 * Ack diagnostic, one message at a time on an idle worker: the webhook answer for a message that starts a run
 * (demo-bot; the next message waits for its reply) vs. one that is only recorded (bench-ack, no workflow).
 */
async function probeAck(pool: Pool, watch: BotWatch, n = 15) {
  const withRun: number[] = [];
  const noRun: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = nextChat++;
    const run = await postUpdate(pool, "/webhooks/telegram/demo-bot", a, `ack probe ${a}`);
    if (run.status !== 202) throw new Error(`ack probe answered ${run.status} ${run.body.slice(0, 200)}`);
    await watch.firstSend(a, 10_000);
    withRun.push(run.ackMs);
    const b = nextChat++;
    const rec = await postUpdate(pool, "/webhooks/telegram/bench-ack", b, `ack probe ${b}`);
    if (rec.status !== 200)
      throw new Error(`ack probe (no workflow) answered ${rec.status} ${rec.body.slice(0, 200)}`);
    noRun.push(rec.ackMs);
    await sleep(20);
  }
  return { withRun: stats(withRun), noRun: stats(noRun) };
}

async function e2eBlock(t: Target, watch: BotWatch, n: number): Promise<E2eSample[]> {
  return inFlight(
    Array.from({ length: n }, (_, i) => i),
    CONCURRENCY,
    () => e2eMessage(t, watch),
  );
}

// ---------------------------------------------------------------------------------- 2. /stop under load

type StopMode = "at once" | "steady";

interface StopSample {
  round: number;
  /** "at once": /stop as soon as every chat's first message was seen (judged); "steady": STEADY_DELAY_MS later. */
  mode: StopMode;
  chatId: number;
  runId: string;
  /** /stream POST → the first sendMessage (the stream visibly under way). */
  firstMessageMs: number;
  /** How long the stream had been visible when /stop was sent. */
  streamedBeforeStopMs: number;
  /** /stop POST → its webhook answer (client). */
  stopAckMs: number;
  /** /stop POST → "Stopped after N ms." at the fake. */
  confirmMs: number;
  /** /stop POST → the end of the stream (END OF STREAM in the header). */
  endMs: number;
  /** /stop POST → the step attempt's finishedAt (the step worker's stream aborted), from the trace. */
  abortMs: number;
  /** /stop POST → the webhook handler's receivedAt (trace cancel.requestedAt): HTTP and waiting for the isolate. */
  handlerMs: number;
  /** /stop POST → the cancel committed in the RunObject (trace cancel.acknowledgedAt). */
  committedMs: number;
  /** N in "Stopped after N ms." (webhook handler's receivedAt → cancel committed, measured by Hookline). */
  reportedMs: number;
  /** Streamed edits of this chat that the fake received after /stop was sent, and after the confirmation. */
  editsAfterStop: number;
  editsAfterConfirm: number;
  /** Edits the stream made in all. */
  edits: number;
}

const STOPPED = /^Stopped after (\d+) ms\.$/;
let nextStopChat = 830_000_000;

/**
 * Diagnosis only: with BENCH_WORKERD_CPUPROF=<file> (and BENCH_WORKERD_INSPECTOR=<port>), the hookline isolate is
 * CPU-profiled from each round's /stop POSTs to its last confirmation; the profiles go to <file>.json and a summary
 * is printed.
 */
let profiler: CdpProfiler | undefined;
const stopProfiles: CpuProfile[] = [];

async function stopRound(
  round: number,
  mode: StopMode,
  pool: Pool,
  watch: BotWatch,
  cpuMs: () => number,
): Promise<{ samples: StopSample[]; underWayMs: number; stopSpreadMs: number; cpu: RoundCpu }> {
  const chats = Array.from({ length: STOP_CHATS }, () => nextStopChat++);
  const roundStart = Date.now();
  const starts = await Promise.all(
    chats.map((c) => postUpdate(pool, "/webhooks/telegram/demo-bot", c, "/stream")),
  );
  const runIds = starts.map((s, i) => {
    const runId = s.status === 202 ? (JSON.parse(s.body) as { runId?: string }).runId : undefined;
    if (!runId) throw new Error(`/stream to chat ${chats[i]} answered ${s.status} ${s.body.slice(0, 200)}`);
    return runId;
  });
  // Every chat's stream visibly under way: its first message seen at the fake.
  const first = await Promise.all(chats.map((c) => watch.firstSend(c, 20_000)));
  const underWayMs = Date.now() - roundStart;
  const tailShown = chats.filter((c) =>
    watch.calls(c).some((x) => String(x.body.text ?? "").includes(STREAM_TAIL)),
  );
  if (tailShown.length > 0)
    throw new Error(
      `round ${round}: ${tailShown.length} stream(s) finished before /stop (too slow to start)`,
    );

  const streamCpu0 = cpuMs();
  const streamWall0 = Date.now();
  if (mode === "steady") await sleep(STEADY_DELAY_MS);
  const streamingCores = mode === "steady" ? (cpuMs() - streamCpu0) / (Date.now() - streamWall0) : Number.NaN;
  // /stop to all chats at once.
  await profiler?.start();
  const stopCpu0 = cpuMs();
  const stopWall0 = Date.now();
  const stops = await Promise.all(
    chats.map((c) => postUpdate(pool, "/webhooks/telegram/demo-bot", c, "/stop")),
  );
  for (const [i, s] of stops.entries())
    if (s.status !== 200)
      throw new Error(`/stop to chat ${chats[i]} answered ${s.status} ${s.body.slice(0, 200)}`);
  const sentAts = stops.map((s) => s.sentAt);
  const stopSpreadMs = Math.max(...sentAts) - Math.min(...sentAts);
  const confirms = await Promise.all(
    chats.map((c) =>
      watch.waitFor(
        () =>
          watch
            .calls(c, ["sendMessage"])
            .find((x) => /^Stopped after|^Nothing to stop/.test(String(x.body.text))),
        10_000,
        `the /stop confirmation in chat ${c}`,
      ),
    ),
  );
  const stopCpuMs = cpuMs() - stopCpu0;
  const stopWallMs = Date.now() - stopWall0;
  if (profiler) stopProfiles.push(await profiler.stop());
  // Quiet: no Bot API call for these chats for QUIET_MS.
  const quietStarted = Date.now();
  for (;;) {
    const last = Math.max(...chats.flatMap((c) => watch.calls(c).map((x) => x.receivedAt)));
    if (Date.now() - last >= QUIET_MS) break;
    if (Date.now() - quietStarted > 15_000)
      throw new Error(`round ${round}: the chats never went quiet after /stop`);
    checkDeadline("quiet after /stop");
    await sleep(50);
  }
  const traces = await Promise.all(
    runIds.map((id) =>
      waitTrace(pool, id, (t) => t.status === "cancelled" && t.steps[0]?.finishedAt != null, 10_000),
    ),
  );

  const samples = chats.map((chatId, i): StopSample => {
    const stop = stops[i] as Posted;
    const confirm = confirms[i] as TelegramCall;
    const text = String(confirm.body.text);
    const m = STOPPED.exec(text);
    if (!m) throw new Error(`chat ${chatId}: /stop answered "${text}" (the run had ended?)`);
    const edits = watch.calls(chatId, ["editMessageText"]);
    const after = edits.filter((e) => e.receivedAt >= stop.sentAt);
    const lastAt = Math.max(confirm.receivedAt, ...after.map((e) => e.receivedAt));
    const step = (traces[i] as Trace).steps[0] as TraceStep;
    const cancel = (traces[i] as Trace).cancel;
    if (cancel?.source !== "telegram:/stop")
      throw new Error(`run ${runIds[i]}: cancelled by ${cancel?.source}`);
    if (step.status !== "cancelled")
      throw new Error(`run ${runIds[i]}: attempt ${step.status}, not cancelled`);
    const shown = [...watch.calls(chatId, ["sendMessage", "editMessageText"])].map((x) =>
      String(x.body.text ?? ""),
    );
    if (shown.some((s) => s.includes(STREAM_TAIL)))
      throw new Error(`chat ${chatId}: the stream ran to its end`);
    return {
      round,
      mode,
      chatId,
      runId: runIds[i] as string,
      firstMessageMs: (first[i] as TelegramCall).receivedAt - (starts[i] as Posted).sentAt,
      streamedBeforeStopMs: stop.sentAt - (first[i] as TelegramCall).receivedAt,
      stopAckMs: stop.ackMs,
      confirmMs: confirm.receivedAt - stop.sentAt,
      endMs: lastAt - stop.sentAt,
      abortMs: ms(step.finishedAt) - stop.sentAt,
      handlerMs: ms(cancel?.requestedAt) - stop.sentAt,
      committedMs: ms(cancel?.acknowledgedAt) - stop.sentAt,
      reportedMs: Number(m[1]),
      editsAfterStop: after.length,
      editsAfterConfirm: edits.filter((e) => e.receivedAt > confirm.receivedAt).length,
      edits: edits.length,
    };
  });
  return { samples, underWayMs, stopSpreadMs, cpu: { streamingCores, stopCpuMs, stopWallMs } };
}

/**
 * workerd CPU (user + system, /proc, 10 ms ticks) while the 20 streams ran (steady rounds: the wait before /stop,
 * in cores) and from the /stop POSTs until every confirmation was seen (ms of CPU over ms of wall time).
 */
interface RoundCpu {
  streamingCores: number;
  stopCpuMs: number;
  stopWallMs: number;
}

// --------------------------------------------------------------------------------------------------- main

type WorkerOpts = ReturnType<typeof workerOptions>;

/**
 * The workers must reach the fake Bot API on 127.0.0.1 directly, as the Workers tests do: bench/lib/runtime.ts's
 * refusing outbound function is dropped, so workerd uses Miniflare's default network service (Miniflare 5 takes no
 * `network` allow list as an outboundService, and a Node or worker proxy would add a hop to every Bot API call).
 * Nothing else is called: the `echo` model is offline and the workflows have no `http` step.
 */
function directOutbound(opts: WorkerOpts): WorkerOpts {
  const { outboundService: _refused, ...rest } = opts;
  return rest as WorkerOpts;
}

/**
 * STOP QUEUE. Miniflare's queue broker dispatches one batch per queue at a time and waits for it to finish
 * before the next; a batch holding streaming steps lasts as long as its longest stream. With wrangler.toml's
 * STEPS consumer (batch 10, timeout 0) the first stream(s) would hold the queue for seconds and the others would
 * start only after them: 20 chats could never stream at once locally (Cloudflare runs consumer batches
 * concurrently). So the /stop phase runs the same bundle in a second workerd whose STEPS consumer takes every
 * chat's first attempt in one batch (max_batch_size = chats, max_batch_timeout 2 s). Queue names stay as they are:
 * Hookline's queue() handler dispatches on them.
 */
function stopQueueConfig(opts: WorkerOpts): WorkerOpts {
  const steps = opts.queueProducers.STEPS?.queueName ?? "hookline-steps";
  const consumer: Record<string, unknown> = { ...opts.queueConsumers[steps] };
  consumer.maxBatchSize = Math.max(STOP_CHATS, Number(consumer.maxBatchSize ?? 10));
  consumer.maxBatchTimeout = STOP_BATCH_TIMEOUT_S;
  return { ...opts, queueConsumers: { ...opts.queueConsumers, [steps]: consumer } } as WorkerOpts;
}

async function main(): Promise<number> {
  const tmp = mkdtempSync(join(TMP_BASE, "hookline-bench-chat-"));
  const startedAt = new Date();
  let runtime: Awaited<ReturnType<typeof startRuntime>> | undefined;
  let fake: FakeTelegram | undefined;
  const pools: Pool[] = [];
  try {
    const source = describeSource(ROOT);
    log(
      `temporary repo copy (${source.ref} @ ${source.commit.slice(0, 10)}${source.dirty ? ", uncommitted changes" : ""}) with config/${ENV_NAME}.yaml under ${tmp}`,
    );
    const root = prepareCopy({
      root: ROOT,
      tmp,
      envName: ENV_NAME,
      overlay: OVERLAY,
      by: "bench/chat.ts",
      extra: ["bench/chat/grammy-bot.ts", "bench/chat/grammy.wrangler.toml"],
    });
    loadFromDisk(root, ENV_NAME); // validates the overlay before wrangler runs

    log("bundling with wrangler deploy --dry-run …");
    const hooklineToml = join(root, "wrangler.toml");
    const grammyToml = join(root, "bench", "chat", "grammy.wrangler.toml");
    const [hooklineBuilt, grammyBuilt] = await Promise.all([
      dryRunBuild(root, hooklineToml, join(tmp, "build", "hookline")),
      dryRunBuild(root, grammyToml, join(tmp, "build", "grammy")),
    ]);
    log(`  hookline ${Math.round(hooklineBuilt.buildMs)} ms, grammy ${Math.round(grammyBuilt.buildMs)} ms`);

    fake = await startFakeTelegram();
    const watch = new BotWatch(fake);
    log(`fake Bot API on ${fake.url} (in this process)`);

    const hooklineOpts = directOutbound(
      workerOptions("hookline", hooklineBuilt, await readWranglerConfig(hooklineToml), {
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
    let workerd: number[] = [];
    const open = async (workers: WorkerOpts[], name: string) => {
      const persist = join(tmp, `state-${name.replace(/[^a-z0-9]+/gi, "-")}`);
      mkdirSync(persist);
      const rt = await startRuntime(workers, persist);
      workerd = findWorkerdPids();
      log(
        `workerd ${version("workerd")} (pid ${workerd.join(",") || "?"}) via miniflare ${version("miniflare")}: ${name}`,
      );
      return rt;
    };

    // ------------------------------------------------------------------------------ 1. end to end
    runtime = await open([hooklineOpts, grammyOpts], "end to end");
    const hlPool = new Pool(runtime.urls.hookline as URL, { connections: 8 });
    const grPool = new Pool(runtime.urls.grammy as URL, { connections: 8 });
    pools.push(hlPool, grPool);
    const hookline: Target = { id: "hookline", pool: hlPool, path: "/webhooks/telegram/demo-bot" };
    const grammy: Target = { id: "grammy", pool: grPool, path: "/" };

    log(
      `end to end: ${WARMUP} warm-up + ${MESSAGES} messages each, distinct chats, ${CONCURRENCY} in flight`,
    );
    await e2eBlock(hookline, watch, WARMUP);
    await e2eBlock(grammy, watch, WARMUP);
    const e2e: E2eSample[] = [];
    for (let done = 0, block = 0; done < MESSAGES; done += BLOCK, block++) {
      const n = Math.min(BLOCK, MESSAGES - done);
      const order = block % 2 === 0 ? [hookline, grammy] : [grammy, hookline];
      for (const t of order) e2e.push(...(await e2eBlock(t, watch, n)));
    }
    const e2eH = e2e.filter((s) => s.target === "hookline");
    const e2eG = e2e.filter((s) => s.target === "grammy");
    log(
      `  hookline p50 ${f1(
        pct(
          e2eH.map((s) => s.e2eMs),
          0.5,
        ),
      )} p95 ${f1(
        pct(
          e2eH.map((s) => s.e2eMs),
          0.95,
        ),
      )} ms; ` +
        `grammy p50 ${f1(
          pct(
            e2eG.map((s) => s.e2eMs),
            0.5,
          ),
        )} p95 ${f1(
          pct(
            e2eG.map((s) => s.e2eMs),
            0.95,
          ),
        )} ms`,
    );
    const parts = await e2eParts(hlPool, e2eH, watch);
    const ackProbe = await probeAck(hlPool, watch);
    log(
      `  webhook answer, one message at a time (p50 / p95): starts a run ${pair(ackProbe.withRun)} ms, ` +
        `no workflow ${pair(ackProbe.noRun)} ms`,
    );
    log(
      `chat turn throughput: ${TURN_CHATS} chats, closed loop (next turn after the reply), ${TURN_ROUNDS} × ${TURN_WINDOW_MS} ms per bot, alternating`,
    );
    const turnCpuMs = () => workerd.reduce((sum, pid) => sum + cpuTicks(pid), 0) * 10;
    const turnRounds = await measureThroughput(
      [
        { ...hookline, status: 202 },
        { ...grammy, status: 200 },
      ],
      fake,
      { chats: TURN_CHATS, rounds: TURN_ROUNDS, windowMs: TURN_WINDOW_MS, secret: SECRET, cpuMs: turnCpuMs },
      log,
    );
    await Promise.allSettled(pools.splice(0).map((p) => p.close()));
    await runtime.mf.dispose();
    runtime = undefined;

    // ---------------------------------------------------------------------------- 2. /stop under load
    runtime = await open(
      [STOP_QUEUE === "batch" ? stopQueueConfig(hooklineOpts) : hooklineOpts],
      `/stop (${STOP_QUEUE} STEPS consumer)`,
    );
    const stopPool = new Pool(runtime.urls.hookline as URL, { connections: STOP_CHATS + 4 });
    if (process.env.BENCH_WORKERD_CPUPROF && process.env.BENCH_WORKERD_INSPECTOR)
      profiler = await CdpProfiler.connect(Number(process.env.BENCH_WORKERD_INSPECTOR), "hookline");
    pools.push(stopPool);
    log(
      `/stop under load: ${STOP_CHATS} chats streaming echo?delayMs=${STREAM_DELAY_MS}; 1 warm-up + ${STOP_ROUNDS} rounds ` +
        `with /stop at once and ${STEADY_ROUNDS} with /stop ${STEADY_DELAY_MS} ms later, interleaved`,
    );
    const plan: StopMode[] = ["at once"];
    for (let i = 0; i < Math.max(STOP_ROUNDS, STEADY_ROUNDS); i++) {
      if (i < STOP_ROUNDS) plan.push("at once");
      if (i < STEADY_ROUNDS) plan.push("steady");
    }
    const rounds: ({ round: number; mode: StopMode; underWayMs: number; stopSpreadMs: number } & RoundCpu)[] =
      [];
    const cpuMs = () => workerd.reduce((sum, pid) => sum + cpuTicks(pid), 0) * 10;
    const stops: StopSample[] = [];
    for (const [r, mode] of plan.entries()) {
      const res = await stopRound(r, mode, stopPool, watch, cpuMs);
      const s = stats(res.samples.map((x) => x.endMs));
      log(
        `  ${r === 0 ? "warm-up" : `round ${r}`} (${mode}): all ${STOP_CHATS} under way ${res.underWayMs} ms after /stream; ` +
          `/stop → end of stream p50 ${f1(s.p50)} p95 ${f1(s.p95)} max ${s.max} ms; N p50 ${f1(
            pct(
              res.samples.map((x) => x.reportedMs),
              0.5,
            ),
          )} ms; ` +
          `workerd CPU ${res.cpu.stopCpuMs} ms in the ${res.cpu.stopWallMs} ms of the stops` +
          (mode === "steady" ? `, ${f2(res.cpu.streamingCores)} cores while streaming` : ""),
      );
      if (r > 0) {
        stops.push(...res.samples);
        rounds.push({
          round: r,
          mode,
          underWayMs: res.underWayMs,
          stopSpreadMs: res.stopSpreadMs,
          ...res.cpu,
        });
      }
      await settle(workerd, 5_000);
    }

    if (profiler && process.env.BENCH_WORKERD_CPUPROF) {
      writeFileSync(`${process.env.BENCH_WORKERD_CPUPROF}.json`, JSON.stringify(stopProfiles));
      for (const line of summarizeProfiles(stopProfiles, ROOT)) console.log(line);
      profiler.close();
    }
    // ------------------------------------------------------------------------------------ summarize
    const atOnce = rounds.filter((r) => r.mode === "at once");
    const steadyRounds = rounds.filter((r) => r.mode === "steady");
    const cpu = {
      /** workerd CPU per /stop: CPU from the /stop POSTs to the last confirmation ÷ chats (p50 over at-once rounds). */
      perStopMs: pct(
        atOnce.map((r) => r.stopCpuMs / STOP_CHATS),
        0.5,
      ),
      /** workerd cores busy from the /stop POSTs to the last confirmation (p50 over at-once rounds). */
      coresDuringStops: pct(
        atOnce.map((r) => r.stopCpuMs / r.stopWallMs),
        0.5,
      ),
      /** workerd cores busy while 20 chats stream (the steady rounds' wait; p50). */
      streamingCores: pct(
        steadyRounds.map((r) => r.streamingCores),
        0.5,
      ),
    };
    const summary = {
      ...summarize(e2eH, e2eG, stops, parts),
      ackProbe,
      cpu,
      turns: summarizeTurns(turnRounds),
    };
    const rows = tableRows(summary);
    console.log(`\n${consoleTable(rows)}\n`);
    const st = summary.stop;
    const hp = summary.hooklineParts;
    log(
      `hookline end to end, parts (p50 / p95): POST → run created ${pair(hp.toRun)}, → llm attempt started ${pair(hp.toStep)}, ` +
        `echo attempt ${pair(hp.step)}, attempt finished → sendMessage ${pair(hp.toSend)}; POST → typing ${pair(hp.typing)} ms; ` +
        `webhook answer after the run was created in ${hp.ackAfterRun}/${hp.n}, after typing in ${hp.ackAfterTyping}/${hp.n}`,
    );
    log(
      `/stop parts (p50 / p95): POST → handler ${pair(st.handler)}, → cancel committed ${pair(st.committed)}, → attempt aborted ${pair(st.abort)}, → confirmation ${pair(st.confirm)} ms`,
    );
    log(
      `/stop details (p50 / p95): webhook ack ${pair(st.stopAck)} ms; streams had been visible ${f0(st.streamedBeforeStop.p50)} ms; ` +
        `edits after /stop: ${st.editsAfterStop} in ${st.chatsWithEditAfterStop} chat(s); after the confirmation: ${st.editsAfterConfirm}`,
    );

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
        grammy: version("grammy"),
      },
      method: {
        env: ENV_NAME,
        messages: MESSAGES,
        warmup: WARMUP,
        concurrency: CONCURRENCY,
        block: BLOCK,
        stopChats: STOP_CHATS,
        stopRounds: STOP_ROUNDS,
        stopQueue: STOP_QUEUE,
        steadyRounds: STEADY_ROUNDS,
        steadyDelayMs: STEADY_DELAY_MS,
        stopBatchTimeoutS: STOP_BATCH_TIMEOUT_S,
        streamModel: `echo?delayMs=${STREAM_DELAY_MS}`,
        streamWords: STREAM_WORDS,
        editIntervalMs: EDIT_INTERVAL_MS,
        quietMs: QUIET_MS,
        botApiCalls: watch.count(),
      },
      summary,
      rounds,
      samples: { e2e, stops },
    };
    if (!args["no-write"]) {
      const jsonPath = join(ROOT, "bench-results", "chat.json");
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify(raw, null, 2)}\n`);
      const docPath = join(ROOT, "docs", "benchmarks.md");
      writeDocSection(docPath, docSection(raw, rows), DOC_START, DOC_END);
      formatDoc(ROOT, docPath);
      log("wrote bench-results/chat.json and docs/benchmarks.md (chat section)");
    }
    log(`done in ${raw.durationSec} s`);
    return 0;
  } finally {
    await Promise.allSettled(pools.map((p) => p.close()));
    if (runtime) await runtime.mf.dispose();
    if (fake) await fake.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const DOC_START = "<!-- chat:start -->";
const DOC_END = "<!-- chat:end -->";

type Summary = ReturnType<typeof summarize>;

function stopStats(stops: StopSample[]) {
  return {
    end: stats(stops.map((s) => s.endMs)),
    confirm: stats(stops.map((s) => s.confirmMs)),
    abort: stats(stops.map((s) => s.abortMs)),
    handler: stats(stops.map((s) => s.handlerMs)),
    committed: stats(stops.map((s) => s.committedMs)),
    reported: stats(stops.map((s) => s.reportedMs)),
    stopAck: stats(stops.map((s) => s.stopAckMs)),
    firstMessage: stats(stops.map((s) => s.firstMessageMs)),
    streamedBeforeStop: stats(stops.map((s) => s.streamedBeforeStopMs)),
    editsAfterStop: stops.reduce((n, s) => n + s.editsAfterStop, 0),
    chatsWithEditAfterStop: stops.filter((s) => s.editsAfterStop > 0).length,
    editsAfterConfirm: stops.reduce((n, s) => n + s.editsAfterConfirm, 0),
    /** Chats whose end of stream is a late edit rather than the confirmation. */
    endedByEdit: stops.filter((s) => s.endMs > s.confirmMs).length,
  };
}

function summarize(e2eH: E2eSample[], e2eG: E2eSample[], stops: StopSample[], parts: E2eParts) {
  const hook = { e2e: stats(e2eH.map((s) => s.e2eMs)), ack: stats(e2eH.map((s) => s.ackMs)) };
  const grammy = { e2e: stats(e2eG.map((s) => s.e2eMs)), ack: stats(e2eG.map((s) => s.ackMs)) };
  const stop = stopStats(stops.filter((s) => s.mode === "at once"));
  const steadySamples = stops.filter((s) => s.mode === "steady");
  const steady = steadySamples.length > 0 ? stopStats(steadySamples) : undefined;
  const ratios = {
    e2eP50VsGrammy: hook.e2e.p50 / grammy.e2e.p50,
    e2eP95VsGrammy: hook.e2e.p95 / grammy.e2e.p95,
    stopEndP50VsGrammyE2e: stop.end.p50 / grammy.e2e.p50,
    stopEndP95VsGrammyE2e: stop.end.p95 / grammy.e2e.p95,
  };
  const verdicts = {
    stopP95: stop.end.p95 <= TARGETS.stopP95Ms,
    steadyStopP95: steady ? steady.end.p95 <= TARGETS.stopP95Ms : undefined,
  };
  return { hookline: hook, grammy, stop, steady, ratios, targets: TARGETS, verdicts, hooklineParts: parts };
}

function tableRows(s: Summary): string[][] {
  const { hookline: h, grammy: g, stop: st, steady: sd, ratios: r } = s;
  const vsGrammy = (x: Stats) => `${f2(x.p50 / g.e2e.p50)}× / ${f2(x.p95 / g.e2e.p95)}×`;
  const stopRows = (label: string, x: ReturnType<typeof stopStats>, judged: boolean): string[][] => [
    [
      `${label}: /stop POST → end of stream (n = ${x.end.n})`,
      pair(x.end),
      `grammY end to end ${pair(g.e2e)}`,
      vsGrammy(x.end),
      judged ? `p95 ≤ ${TARGETS.stopP95Ms}` : `(p95 ≤ ${TARGETS.stopP95Ms})`,
      judged ? verdict(x.end.p95 <= TARGETS.stopP95Ms) : `(${verdict(x.end.p95 <= TARGETS.stopP95Ms)})`,
    ],
    [`${label}: /stop POST → "Stopped after N ms." at the fake`, pair(x.confirm), "", "", "", ""],
    [`${label}: /stop POST → step attempt aborted (trace)`, pair(x.abort), "", "", "", ""],
    [`${label}: N reported in "Stopped after N ms."`, pair(x.reported), "", "", "", ""],
  ];
  return [
    ["measure (p50 / p95, ms)", "Hookline", "baseline (same run)", "ratio", "target", "result"],
    [
      `Telegram end to end: POST → first sendMessage at the fake (n = ${h.e2e.n} each)`,
      pair(h.e2e),
      `grammY ${pair(g.e2e)}`,
      `${f2(r.e2eP50VsGrammy)}× / ${f2(r.e2eP95VsGrammy)}×`,
      "–",
      "",
    ],
    [
      "webhook POST → its answer (client)",
      pair(h.ack),
      `grammY ${pair(g.ack)}`,
      `${f2(h.ack.p50 / g.ack.p50)}× / ${f2(h.ack.p95 / g.ack.p95)}×`,
      "–",
      "",
    ],
    ...turnRows(s as FullSummary),
    ...stopRows(`${STOP_CHATS} chats, /stop at once`, st, true),
    ...(sd ? stopRows(`${STOP_CHATS} chats, /stop ${STEADY_DELAY_MS / 1000} s in`, sd, false) : []),
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
      grammy: string;
    };
    summary: FullSummary;
    rounds: { round: number; mode: StopMode; underWayMs: number; stopSpreadMs: number }[];
    method: { botApiCalls: number };
  },
  rows: string[][],
): string {
  const m = raw.machine;
  const {
    hookline: h,
    grammy: g,
    stop: st,
    steady: sd,
    verdicts: v,
    hooklineParts: hp,
    ackProbe: ap,
    cpu,
  } = raw.summary;
  const code = `${raw.source.ref} at ${raw.source.commit.slice(0, 10)}${raw.source.dirty ? " with uncommitted changes" : ""}`;
  const underWay = raw.rounds.map((r) => r.underWayMs);
  const nAtOnce = raw.rounds.filter((r) => r.mode === "at once").length;
  const nSteady = raw.rounds.length - nAtOnce;
  const both = sd ? [st, sd] : [st];
  const sum = (k: "editsAfterStop" | "chatsWithEditAfterStop" | "editsAfterConfirm" | "endedByEdit") =>
    both.reduce((n, x) => n + x[k], 0);
  const streamSec = (((STREAM_WORDS + 2) * STREAM_DELAY_MS) / 1000).toFixed(1);
  return `## Chat: Telegram end to end, /stop under load

_Last run: ${raw.date} · ${code} · ${raw.durationSec} s · every reply correct, every stream stopped, 0 error responses_

**Machine.** ${m.cpus} cores (${m.cpuModel}), shared with other work; load average at the end ${m.loadavgAtEnd.join(" / ")}.
Absolute numbers are noise here; the ratios to the grammY bot, measured in the same run against the same fake Bot
API, matter more. Node ${m.node} (client and fake Bot API), workerd ${m.workerd} via miniflare ${m.miniflare},
wrangler ${m.wrangler}, grammY ${m.grammy}.

**Target.** /stop → end of the stream ≤ ${TARGETS.stopP95Ms} ms p95 with ${STOP_CHATS} chats streaming at once:
**${verdict(v.stopP95)}**, ${f1(st.end.p95)} ms (p50 ${f1(st.end.p50)}). The end-to-end figure has no target; it is compared with
grammY. Rows in parentheses are reported, not judged.

${markdownTable(rows, [0, 2, 4, 5])}

**Telegram end to end** (POST → the first sendMessage at the fake). grammY answers inside the webhook request
with one Bot API call. Hookline acknowledges first and then runs a workflow; where its time goes, from each run's
trace (p50 / p95, ms): POST → run created ${pair(hp.toRun)} (verify, record in a new SessionObject, the session's intent,
a new RunObject); → the llm attempt started ${pair(hp.toStep)} (outbox, STEPS queue, stepStarted); the \`echo\`
attempt ${pair(hp.step)}; attempt finished → sendMessage at the fake ${pair(hp.toSend)} (stepFinished, the \`reply\` step,
the RunObject's reply delivery, the Bot API call). It also sends \`sendChatAction typing\` (POST → typing ${pair(hp.typing)}),
which grammY does not. Every message comes from a new chat, so each one creates two Durable Objects.

**Chat turn throughput.** ${raw.summary.turns.chats} chats at once in a closed loop: each chat sends a turn (a new
update, \`turn N\`), waits for that turn's \`sendMessage\` (\`echo: turn N\`) at the fake, then sends the next;
${TURN_ROUNDS} windows of ${TURN_WINDOW_MS / 1000} s per bot, alternating Hookline / grammY, after a 1.5 s warm-up window each, on the same
workerd and fake; the same ${raw.summary.turns.chats} chats all along (warm sessions). turns/s and workerd CPU (user + system from
/proc, 10 ms ticks, over the window, including background work the turns cause) are medians over the windows.

**Ack diagnostic.** Under ${CONCURRENCY} in flight, ${hp.ackAfterRun} of ${hp.n} webhook answers reached the client after their run had been
created. One message at a time on an idle worker, a message that starts a run is answered in ${pair(ap.withRun)} ms,
one that is only recorded (a source with no workflow) in ${pair(ap.noRun)} ms: the answer pays for some of the work that
\`SessionObject.record()\` starts after its commit (\`waitUntil(drain())\`: intent → \`RunObject.start\`). Locally all of it
runs on one thread, so this may be contention rather than an await; worth a look on the ingress path.

**/stop under load.** Each round, ${STOP_CHATS} new chats send \`/stream\` at once (a trigger rule → one \`llm\` step on
\`echo?delayMs=${STREAM_DELAY_MS}\`, \`stream: true\`, a ${STREAM_WORDS + 3}-word reply, ~${streamSec} s unstopped, edited into the chat at most once a
second). Every chat's first message reached the fake ${Math.min(...underWay)}–${Math.max(...underWay)} ms after the \`/stream\` POSTs.
**At once** (judged, as the issue asks): \`/stop\` goes to all ${STOP_CHATS} chats as soon as the last first message is seen
(the streams had been visible ${f0(st.streamedBeforeStop.p50)} ms p50).${sd ? ` **${STEADY_DELAY_MS / 1000} s in** (reported): the same, ${STEADY_DELAY_MS} ms later, when every stream has shown edits.` : ""}
1 warm-up round + ${nAtOnce} at once${sd ? ` + ${nSteady} ${STEADY_DELAY_MS / 1000} s in, interleaved` : ""}: ${st.end.n}${sd ? ` + ${sd.end.n}` : ""} stops.
- **End of stream**, per chat: the later of the "Stopped after N ms." message and the last streamed edit
  (editMessageText) of that chat that the fake received, the chat then staying quiet for ${QUIET_MS / 1000} s (2.5× the
  ${EDIT_INTERVAL_MS / 1000} s edit interval, so a stream that went on would show). From the /stop POST's send time (Node's
  \`Date.now()\`) to the fake's \`receivedAt\`: the same clock in the same process. In this run ${sum("editsAfterStop")} edit(s) in
  ${sum("chatsWithEditAfterStop")} chat(s) arrived after /stop was sent, ${sum("editsAfterConfirm")} after a confirmation, and the confirmation was the
  end of the stream in ${st.end.n + (sd?.end.n ?? 0) - sum("endedByEdit")} of ${st.end.n + (sd?.end.n ?? 0)} chats; no stream reached its last word.
- **Step attempt aborted**: the attempt's \`finishedAt\` in the run trace (the step worker's clock, the same
  machine) − the /stop send time.
- **N**, the bot's own figure: the webhook handler's receivedAt → the cancel committed in the RunObject. It leaves
  out the sender's HTTP, the abort of the stream and the Bot API call that carries the confirmation, so the chat
  sees more: at once, POST → handler ${pair(st.handler)} ms, → cancel committed ${pair(st.committed)}, → attempt aborted
  ${pair(st.abort)}, → confirmation ${pair(st.confirm)}; /stop's own webhook answer ${pair(st.stopAck)}.
- **Why it misses here: CPU.** From the /stop POSTs to the last confirmation workerd was busy ${f2(cpu.coresDuringStops)} cores
  (p50 over rounds), ≈ ${f1(cpu.perStopMs)} ms of CPU per /stop (verify, record, intent, cancel, outbox, confirmation, abort,
  stepFinished). Locally every Durable Object and the queue consumer of the worker share one isolate, so the ${STOP_CHATS}
  stops are handled one after another and the p95 is the last of a burst (p50 ≈ p95 within a round). On
  Cloudflare each chat's SessionObject and RunObject are separate objects that need not share a thread. The
  ${STOP_CHATS} streams themselves kept ${f2(cpu.streamingCores)} cores busy (AI SDK deltas every ${STREAM_DELAY_MS} ms plus edits).

**Method.**
- Hookline runs from a temporary copy of the repo (${code}) plus one overlay, \`config/${ENV_NAME}.yaml\`, generated by
  bench/chat.ts: \`demo-bot\` (telegram, \`botTokenEnv\`, \`apiRootEnv: TELEGRAM_API_ROOT\` = the fake's URL) starts
  \`bench-chat-echo\` (\`llm\` on \`echo\` + \`reply\`) for plain messages; a trigger rule sends \`/stream\` to
  \`bench-chat-stream\`; \`bench-ack\` (telegram, no workflow) is the ack diagnostic. Bundled with
  \`wrangler deploy --dry-run\`, run with \`HOOKLINE_ENV=${ENV_NAME}\` and the test secrets through Miniflare with its Durable
  Objects (SQLite, files under \`${raw.stateDir}\`, deleted afterwards) and queues from wrangler.toml. The end-to-end phase
  runs it in one workerd beside the grammY bot (bench/chat/grammy-bot.ts: \`webhookCallback(bot, "cloudflare-mod",
  { secretToken })\`, \`botInfo\` given, \`client.apiRoot\` = the fake, \`bot.on("message", ctx => ctx.reply(…))\`); the /stop
  phase in a fresh workerd of its own.
- The fake Bot API is test/servers/fake-telegram.ts, started in the bench process; its \`receivedAt\` is read from
  memory, so polling never adds to a timing. The workers reach it on 127.0.0.1 directly (Miniflare's default network
  service, as in the Workers tests; \`echo\` is offline and nothing else is called): ${raw.method.botApiCalls} Bot API calls.
- End to end: ${WARMUP} warm-up messages per bot, then ${h.e2e.n} each in blocks of ${BLOCK} that alternate Hookline / grammY (drift hits
  both), ${CONCURRENCY} in flight, every message from a new chat, every reply's text checked. grammY: ${pair(g.e2e)} ms.
- **Queue deviation for /stop.** Miniflare's queue broker gives a queue's consumer one batch at a time and waits for
  it; a batch of streaming steps lasts as long as its longest stream. With wrangler.toml's STEPS consumer (batch 10,
  timeout 0) the first streams hold the queue for seconds and the other chats start only after them, so ${STOP_CHATS} chats
  never stream at once locally (\`--stop-queue wrangler\` shows it: streams end before the last ones start). Cloudflare
  runs consumer batches concurrently. The /stop phase therefore gives its STEPS consumer a batch of up to ${STOP_CHATS}
  messages and a ${STOP_BATCH_TIMEOUT_S} s batch window, so all ${STOP_CHATS} first attempts share one batch; everything else is wrangler.toml's.

Raw numbers: \`bench-results/chat.json\` (git-ignored).
`;
}

type FullSummary = Summary & {
  ackProbe: Awaited<ReturnType<typeof probeAck>>;
  cpu: { perStopMs: number; coresDuringStops: number; streamingCores: number };
  turns: ReturnType<typeof summarizeTurns>;
};

/** Median over rounds, per bot. */
function summarizeTurns(rounds: ThroughputRound[]) {
  const med = (id: string, k: keyof ThroughputRound) =>
    pct(
      rounds.filter((r) => r.target === id).map((r) => Number(r[k])),
      0.5,
    );
  const side = (id: string) => ({
    turnsPerSec: med(id, "turnsPerSec"),
    cpuPerTurnMs: med(id, "cpuPerTurnMs"),
    turnP50Ms: med(id, "turnP50Ms"),
    turnP95Ms: med(id, "turnP95Ms"),
    turns: rounds.filter((r) => r.target === id).reduce((n, r) => n + r.turns, 0),
  });
  return {
    chats: TURN_CHATS,
    windowMs: TURN_WINDOW_MS,
    hookline: side("hookline"),
    grammy: side("grammy"),
    rounds,
  };
}

function turnRows(s: FullSummary): string[][] {
  const { hookline: h, grammy: g } = s.turns;
  const ratio = h.turnsPerSec / g.turnsPerSec;
  const e2eRatio = s.hookline.e2e.p50 / s.grammy.e2e.p50;
  return [
    [
      `chat turn latency: POST → first sendMessage p50 (judged on the end-to-end row above)`,
      f1(s.hookline.e2e.p50),
      `grammY ${f1(s.grammy.e2e.p50)}`,
      `${f2(e2eRatio)}×`,
      `p50 ≤ ${TARGETS.e2eP50VsGrammy}× grammY`,
      verdict(e2eRatio <= TARGETS.e2eP50VsGrammy),
    ],
    [
      `chat turns/s, ${s.turns.chats} chats, closed loop (turns: ${h.turns} / ${g.turns})`,
      `${f1(h.turnsPerSec)} /s`,
      `grammY ${f1(g.turnsPerSec)} /s`,
      `${f2(ratio)}×`,
      `≥ ${TARGETS.turnsVsGrammy}× grammY`,
      verdict(ratio >= TARGETS.turnsVsGrammy),
    ],
    [
      `  its turn time, POST → sendMessage`,
      `${f1(h.turnP50Ms)} / ${f1(h.turnP95Ms)}`,
      `grammY ${f1(g.turnP50Ms)} / ${f1(g.turnP95Ms)}`,
      `${f2(h.turnP50Ms / g.turnP50Ms)}×`,
      "–",
      "",
    ],
    [
      "workerd CPU per chat turn (ms, same window)",
      f2(h.cpuPerTurnMs),
      `grammY ${f2(g.cpuPerTurnMs)}`,
      `${f1(h.cpuPerTurnMs / g.cpuPerTurnMs)}×`,
      `≤ ${TARGETS.cpuPerTurnMs} ms`,
      verdict(h.cpuPerTurnMs <= TARGETS.cpuPerTurnMs),
    ],
  ];
}

process.exitCode = await main().catch((err) => {
  console.error(err);
  return 1;
});
