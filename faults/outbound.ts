/**
 * Scenario: the webhook ack must not depend on the health of outbound APIs.
 *
 * wrangler dev (workerd, local queues and Durable Objects) in a scratch copy with the demo bot pointed at a fake
 * Bot API, a second bot whose workflow calls a fake OpenAI-compatible server (`openai:`), and history on
 * (DATABASE_URL through a WebSocket proxy this process controls). Open-loop Telegram messages (default 10/s,
 * 500 chats round robin, a fresh range of chats per phase) in phases, one dependency broken at a time:
 *
 *   healthy        everything answers
 *   bot hang       the Bot API accepts connections and never answers
 *   bot refuse     the Bot API's port is closed
 *   model hang     the model server accepts and never answers (the model bot's phase)
 *   postgres hang  the WebSocket proxy accepts and never forwards (history only)
 *
 * A healthy phase runs before each fault and once more at the end. Per phase: ack p50/p99 (scheduled send →
 * webhook answer), compared with the healthy phases just before and just after it, pooled (target ≤ 1.5×):
 * the drift of a shared machine's load during the run does not count as an effect of the fault, and the p99
 * of 400 healthy acks is steadier than that of 200 (healthy phases alone have differed by 2× at p99). After each fault the dependency comes back and the phase's replies are awaited: every
 * acked message must be answered exactly once at the fake (`sendMessage` answered 200, matched by the
 * update id quoted in the reply). The Postgres phase also waits for every run of the phase to reach history.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Pool } from "undici";
import { formatDoc, markdownTable, writeDocSection } from "../bench/lib/report.ts";
import { pct } from "../bench/lib/stats.ts";
import { type PgWsProxy, startPgWsProxy } from "../src/cli/pg-ws-proxy.ts";
import { startFakeOpenAi } from "../test/servers/fake-openai.ts";
import { type FakeTelegram, startFakeTelegram } from "../test/servers/fake-telegram.ts";
import { freshDatabase, withClient } from "./lib/database.ts";
import { type Stack, startStack } from "./lib/stack.ts";

export interface OutboundOptions {
  root: string;
  /** Where wrangler's output goes (faults-results/). */
  outDir: string;
  /** Messages per second during a phase. */
  rate: number;
  /** Seconds of load per phase. */
  phaseS: number;
  chats: number;
  /** Seconds to wait for a phase's replies (and history) after its dependency came back, at most. */
  recoverTimeoutS: number;
  log: (m: string) => void;
}

export type PhaseName = "healthy" | "bot hang" | "bot refuse" | "model hang" | "postgres hang";

export interface PhaseResult {
  name: PhaseName;
  sent: number;
  acked: number;
  /** Non-2xx answers, transport errors and answers missing at the phase's grace bound. */
  errors: number;
  ackP50: number;
  ackP99: number;
  ackMax: number;
  /** p50 and p99 over those of the healthy phases before and after it, pooled (healthy phases: 1). */
  ratioP50: number;
  ratioP99: number;
  /** Acked messages whose reply reached the fake once / never / more than once, after recovery. */
  answered: number;
  lost: number;
  duplicated: number;
  /** Seconds from the dependency coming back until every reply (and run in history) was in; null: never. */
  recoveredAfterS: number | null;
  /** CPU seconds the stack's processes used during the phase's load: workerd, and wrangler's Node. */
  cpu: { workerdS: number; nodeS: number };
  /** Lines wrangler and workerd printed during the phase's load. */
  logLines: number;
  /** Postgres phase: runs of the phase found in history / expected. */
  history?: { found: number; expected: number };
  pass: boolean;
}

export interface OutboundResult {
  date: string;
  options: Omit<OutboundOptions, "root" | "log" | "outDir">;
  phases: PhaseResult[];
  /** Replies counted once more after a quiet period at the end (a late duplicate would show here). */
  lateDuplicates: number;
  pass: boolean;
}

const SECRET = "faults-outbound-secret_0123456789";
const BOT_TOKEN = "123456:faults-outbound-token";
const TARGET_RATIO = 1.5;
/** Answers still missing this long after a phase's last send are aborted and count as errors (and +∞). */
const GRACE_S = 15;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The demo bot as shipped (echo model, then a reply), and a model bot whose workflow calls `openai:`. */
const OVERLAY = {
  sources: {
    "model-bot": {
      channel: "telegram",
      secretEnv: "TELEGRAM_DEMO_SECRET_TOKEN",
      botTokenEnv: "TELEGRAM_DEMO_BOT_TOKEN",
      apiRootEnv: "TELEGRAM_API_ROOT",
      workflow: "model-chat",
    },
  },
  workflows: {
    "model-chat": {
      description: "Fault scenarios: an OpenAI-compatible model, then a reply.",
      steps: [
        { id: "answer", kind: "llm", model: "openai:gpt-4o-mini", prompt: "{{ event.text }}" },
        { id: "reply", kind: "reply", text: "{{ steps.answer.output.text }}" },
      ],
    },
  },
};

let nextUpdate = 800_000_000;

/** CPU seconds used so far by `pid` and its descendants, split into workerd and the rest (Linux /proc). */
function cpuSeconds(pid: number): { workerdS: number; nodeS: number } {
  const tick = 100; // USER_HZ
  const out = { workerdS: 0, nodeS: 0 };
  const queue = [pid];
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i] as number;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const used = (Number(fields[11]) + Number(fields[12])) / tick;
      if (comm === "workerd") out.workerdS += used;
      else out.nodeS += used;
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, "utf8").trim();
        if (kids) queue.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // gone, or not Linux
    }
  }
  return out;
}

/** Open-loop load on one bot: `rate`/s for `seconds`, chats `base … base+chats-1` round robin. */
async function load(
  pool: Pool,
  bot: string,
  o: OutboundOptions,
  base: number,
): Promise<{ acks: number[]; errors: number; updates: number[]; runIds: string[] }> {
  const total = Math.round(o.rate * o.phaseS);
  const acks: number[] = [];
  const updates: number[] = [];
  const runIds: string[] = [];
  let errors = 0;
  const abort = new AbortController();
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const chatId = base + (i % o.chats);
    const upd = nextUpdate++;
    const body = JSON.stringify({
      update_id: upd,
      message: {
        message_id: upd % 1_000_000,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: "private" },
        from: { id: chatId, is_bot: false, first_name: "Ada" },
        text: `hi ${upd}`,
      },
    });
    inflight.push(
      pool
        .request({
          method: "POST",
          path: `/webhooks/telegram/${bot}`,
          headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
          body,
          signal: abort.signal,
        })
        .then(async (res) => {
          const text = await res.body.text();
          if (res.statusCode >= 200 && res.statusCode < 300) {
            acks.push(performance.now() - due);
            updates.push(upd);
            const runId = (JSON.parse(text) as { runId?: string }).runId;
            if (runId) runIds.push(runId);
          } else errors++;
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  const all = Promise.all(inflight);
  const bound = t0 + o.phaseS * 1000 + GRACE_S * 1000 - performance.now();
  const timedOut = await Promise.race([all.then(() => false), sleep(Math.max(0, bound)).then(() => true)]);
  if (timedOut) abort.abort();
  await all;
  for (let k = acks.length + errors; k < total; k++) acks.push(Number.POSITIVE_INFINITY);
  return { acks, errors, updates, runIds };
}

/** Replies per update id: `sendMessage` calls the fake answered 200, matched by the `hi <update_id>` they quote. */
function repliesByUpdate(fake: FakeTelegram): Map<number, number> {
  const out = new Map<number, number>();
  for (const c of fake.calls) {
    if (c.method !== "sendMessage" || c.status !== 200) continue;
    const m = /hi (\d+)/.exec(String(c.body.text ?? ""));
    if (!m) continue;
    const id = Number(m[1]);
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

function tally(fake: FakeTelegram, updates: number[]) {
  const seen = repliesByUpdate(fake);
  let answered = 0;
  let lost = 0;
  let duplicated = 0;
  for (const u of updates) {
    const n = seen.get(u) ?? 0;
    if (n === 0) lost++;
    else if (n === 1) answered++;
    else duplicated++;
  }
  return { answered, lost, duplicated };
}

async function historyRuns(dbUrl: string, runIds: string[]): Promise<number> {
  return withClient(dbUrl, async (c) => {
    const r = await c.query<{ n: number }>("select count(*)::int as n from runs where run_id = any($1)", [
      runIds,
    ]);
    return r.rows[0]?.n ?? 0;
  });
}

export async function outbound(o: OutboundOptions): Promise<OutboundResult> {
  const date = new Date().toISOString();
  const telegram = await startFakeTelegram();
  const openai = await startFakeOpenAi();
  let proxy: PgWsProxy | undefined;
  let stack: Stack | undefined;
  let pool: Pool | undefined;
  try {
    const dbUrl = await freshDatabase("hookline_faults_outbound");
    proxy = await startPgWsProxy();
    stack = await startStack({
      root: o.root,
      envName: "faults-outbound",
      overlay: OVERLAY,
      vars: {
        TELEGRAM_DEMO_BOT_TOKEN: BOT_TOKEN,
        TELEGRAM_API_ROOT: telegram.url,
        TELEGRAM_DEMO_SECRET_TOKEN: SECRET,
        OPENAI_API_KEY: "sk-faults-outbound",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        DATABASE_URL: dbUrl,
        DATABASE_WS_PROXY: proxy.url,
      },
    });
    o.log(`wrangler dev up at ${stack.url}; fake Bot API ${telegram.url}, fake OpenAI ${openai.url}`);
    pool = new Pool(stack.url, { connections: 128, pipelining: 1 });
    const p = proxy;
    const healthy = { name: "healthy" as const, bot: "demo-bot" };
    const faults: { name: PhaseName; bot: string; down?: () => Promise<void>; up?: () => Promise<void> }[] = [
      healthy,
      {
        name: "bot hang",
        bot: "demo-bot",
        down: () => telegram.setMode("hang"),
        up: () => telegram.setMode("ok"),
      },
      healthy,
      {
        name: "bot refuse",
        bot: "demo-bot",
        down: () => telegram.setMode("refuse"),
        up: () => telegram.setMode("ok"),
      },
      healthy,
      {
        name: "model hang",
        bot: "model-bot",
        down: async () => openai.setHang(true),
        up: async () => openai.setHang(false),
      },
      healthy,
      {
        name: "postgres hang",
        bot: "demo-bot",
        down: async () => p.setHang(true),
        up: async () => p.setHang(false),
      },
      healthy,
    ];
    // Warm-up, so the first phase does not pay for first-time compilation and migrations alone.
    await load(pool, "demo-bot", { ...o, phaseS: 5 }, 990_000_000);
    await sleep(5_000);
    const phases: PhaseResult[] = [];
    const acksOf: number[][] = [];
    const allUpdates: number[] = [];
    for (const [k, f] of faults.entries()) {
      await f.down?.();
      o.log(`${f.name}: ${o.phaseS} s at ${o.rate}/s on ${f.bot}`);
      const cpu0 = cpuSeconds(stack.pid);
      const lines0 = stack.lines().length;
      const r = await load(pool, f.bot, o, 100_000_000 * (k + 1));
      const cpu1 = cpuSeconds(stack.pid);
      const cpu = { workerdS: cpu1.workerdS - cpu0.workerdS, nodeS: cpu1.nodeS - cpu0.nodeS };
      const logLines = stack.lines().length - lines0;
      await f.up?.();
      const upAt = performance.now();
      allUpdates.push(...r.updates);
      // Wait for the phase's replies (and, for Postgres, its runs in history).
      let recoveredAfterS: number | null = null;
      let history: PhaseResult["history"];
      const deadline = upAt + o.recoverTimeoutS * 1000;
      for (;;) {
        const t = tally(telegram, r.updates);
        let historyOk = true;
        if (f.name === "postgres hang") {
          const found = await historyRuns(dbUrl, r.runIds).catch(() => 0);
          history = { found, expected: r.updates.length };
          historyOk = found >= r.updates.length;
        }
        if (t.lost === 0 && historyOk) {
          recoveredAfterS = (performance.now() - upAt) / 1000;
          break;
        }
        if (performance.now() > deadline) break;
        await sleep(1_000);
      }
      const finite = r.acks.filter(Number.isFinite);
      const t = tally(telegram, r.updates);
      acksOf.push(r.acks);
      const ackP50 = pct(r.acks, 0.5);
      const ackP99 = pct(r.acks, 0.99);
      const phase: PhaseResult = {
        name: f.name,
        sent: Math.round(o.rate * o.phaseS),
        acked: r.updates.length,
        errors: r.errors,
        ackP50,
        ackP99,
        ackMax: finite.length ? Math.max(...finite) : Number.NaN,
        // Judged once the healthy phase after it has run (below).
        ratioP50: 1,
        ratioP99: 1,
        ...t,
        recoveredAfterS,
        cpu,
        logLines,
        ...(history ? { history } : {}),
        pass: false,
      };
      phase.pass =
        phase.errors === 0 &&
        phase.lost === 0 &&
        phase.duplicated === 0 &&
        (!history || history.found >= history.expected);
      phases.push(phase);
      o.log(
        `${f.name}: acked ${phase.acked}/${phase.sent}, ack p50 ${phase.ackP50.toFixed(1)} ms p99 ${phase.ackP99.toFixed(1)} ms; ` +
          `replies once ${t.answered}, lost ${t.lost}, ` +
          `duplicated ${t.duplicated}; recovered ${recoveredAfterS === null ? "never" : `${recoveredAfterS.toFixed(1)} s`} after` +
          (history ? `; history ${history.found}/${history.expected}` : "") +
          `; CPU workerd ${cpu.workerdS.toFixed(1)} s, node ${cpu.nodeS.toFixed(1)} s; ${logLines} log lines`,
      );
    }
    // Each fault phase against the healthy phases around it, pooled.
    for (const [k, phase] of phases.entries()) {
      if (phase.name === "healthy") continue;
      const around = [acksOf[k - 1] ?? [], acksOf[k + 1] ?? []].flat();
      phase.ratioP50 = phase.ackP50 / pct(around, 0.5);
      phase.ratioP99 = phase.ackP99 / pct(around, 0.99);
      phase.pass &&= phase.ratioP50 <= TARGET_RATIO && phase.ratioP99 <= TARGET_RATIO;
      o.log(
        `${phase.name}: ack p50 ×${phase.ratioP50.toFixed(2)}, p99 ×${phase.ratioP99.toFixed(2)} of the healthy phases around it (p50 ${pct(around, 0.5).toFixed(1)} ms, p99 ${pct(around, 0.99).toFixed(1)} ms)`,
      );
    }
    // A late duplicate (a retry of a reply that had already gone out) would show after a quiet spell.
    await sleep(10_000);
    const late = tally(telegram, allUpdates);
    const lateDuplicates = late.duplicated - phases.reduce((n, ph) => n + ph.duplicated, 0);
    return {
      date,
      options: { rate: o.rate, phaseS: o.phaseS, chats: o.chats, recoverTimeoutS: o.recoverTimeoutS },
      phases,
      lateDuplicates,
      pass: phases.every((ph) => ph.pass) && lateDuplicates === 0,
    };
  } finally {
    if (stack) {
      mkdirSync(o.outDir, { recursive: true });
      writeFileSync(join(o.outDir, "outbound-wrangler.log"), stack.output());
    }
    await pool?.close().catch(() => {});
    await stack?.stop();
    await proxy?.close();
    await telegram.close();
    await openai.close();
  }
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : `> ${GRACE_S * 1000}`);

/** The table `npm run faults` prints and writes: one row per phase. */
export function outboundSummary(r: OutboundResult): string[][] {
  return [
    [
      "phase",
      "acked",
      "ack p50 ms",
      "ack p99 ms",
      "× healthy around it, p50 / p99",
      `≤ ${TARGET_RATIO}×`,
      "replies once / lost / dup",
      "all in after",
      "CPU s workerd / node",
    ],
    ...r.phases.map((p) => [
      p.name,
      `${p.acked}/${p.sent}`,
      ms(p.ackP50),
      ms(p.ackP99),
      `${p.ratioP50.toFixed(2)} / ${p.ratioP99.toFixed(2)}`,
      p.ratioP50 <= TARGET_RATIO && p.ratioP99 <= TARGET_RATIO ? "yes" : "no",
      `${p.answered} / ${p.lost} / ${p.duplicated}`,
      (p.recoveredAfterS === null ? "never" : `${p.recoveredAfterS.toFixed(1)} s`) +
        (p.history ? ` (history ${p.history.found}/${p.history.expected})` : ""),
      `${p.cpu.workerdS.toFixed(1)} / ${p.cpu.nodeS.toFixed(1)}`,
    ]),
  ];
}

const DOC_START = "<!-- outbound:start -->";
const DOC_END = "<!-- outbound:end -->";

/** Writes this run's table into a doc (docs/reliability.md) between the outbound markers (appended if missing). */
export function writeOutboundDoc(
  root: string,
  path: string,
  d: {
    result: OutboundResult;
    source: { ref: string; commit: string; dirty: boolean };
    machine: { cpus: number; cpuModel: string; memGb: number; loadavg: number[] };
  },
): void {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "# Fault scenarios\n";
  if (!text.includes(DOC_START)) writeFileSync(path, `${text.trimEnd()}\n\n${DOC_START}\n${DOC_END}\n`);
  const r = d.result;
  const code = `${d.source.ref} at ${d.source.commit.slice(0, 10)}${d.source.dirty ? " with uncommitted changes" : ""}`;
  const m = d.machine;
  const section = `### Last run: ${r.pass ? "PASS" : "FAIL"}

_${r.date} · ${code}_

**Machine.** ${m.cpus} cores (${m.cpuModel}), ${m.memGb} GB, shared with other work; load average at the end
${m.loadavg.join(" / ")}.

**This run.** ${r.options.phaseS} s per phase at ${r.options.rate} messages/s over ${r.options.chats} chats (a fresh range per
phase); replies awaited at most ${r.options.recoverTimeoutS} s after each dependency came back; late duplicates after a
10-s quiet spell at the end: ${r.lateDuplicates}.

${markdownTable(outboundSummary(r))}
`;
  writeDocSection(path, section, DOC_START, DOC_END);
  formatDoc(root, path);
}
