/**
 * `npm run bench:start`: Hookline as users run it. `npm start` (wrangler dev, src/cli/start.ts) in a scratch copy
 * of the repo, the demo bot pointed at a fake Bot API in this process (test/servers/fake-telegram.ts), then
 * open-loop Telegram messages at fixed rates (default 10, 25, 50, 100 /s; 500 chats round robin).
 *
 *   npm run bench:start                                  # 60 s per rate, ~5 min
 *   npx node bench/start.ts --duration 20 --no-write     # a shorter look
 *
 * Per rate: ack p50/p99 (intended send time → webhook answer, so client-side queueing counts), replies seen
 * (`sendMessage` at the fake), backlog = messages acked − replies seen at the end of the phase and 10 s after,
 * and the RSS of every process `npm start` started (npm, the CLI, wrangler's Node, workerd).
 * The scratch copy gets a `.dev.vars` with the bot token, the fake's URL and the webhook secret; `npm start`
 * adds the other secrets to it as it does for users. Nothing is written to the repo but bench-results/ and docs/.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { startFakeTelegram } from "../test/servers/fake-telegram.ts";
import { consoleTable, formatDoc, markdownTable, writeDocSection } from "./lib/report.ts";
import { COPIED, describeSource } from "./lib/scratch.ts";
import { f0, f1, pct, verdict } from "./lib/stats.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    rates: { type: "string", default: "10,25,50,100" },
    duration: { type: "string", default: "60" },
    after: { type: "string", default: "10" },
    chats: { type: "string", default: "500" },
    port: { type: "string", default: "8797" },
    "no-write": { type: "boolean", default: false },
  },
});
const RATES = String(args.rates)
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const DURATION_S = Math.max(1, Number(args.duration));
const AFTER_S = Math.max(0, Number(args.after));
const CHATS = Math.max(1, Number(args.chats));
const PORT = Number(args.port);
const SECRET = "bench-start-secret_0123456789";
const BOT_TOKEN = "123456:bench-start-token";
/** How long after a phase's last scheduled send its missing answers are awaited before they are aborted. */
const GRACE_S = 10;
const TARGETS = { turnsPerSec: 100, ackP99Ms: 250 } as const;
const log = (m: string) => console.log(`[bench:start] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every descendant of `pid` (via /proc/<pid>/task/<tid>/children), with `pid` itself. */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] as number;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, "utf8")
          .trim()
          .split(/\s+/)
          .filter(Boolean);
        out.push(...kids.map(Number));
      } catch {
        // gone
      }
    }
  }
  return out;
}
function procInfo(pid: number): { comm: string; rssMb: number } | null {
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return { comm, rssMb: Number(rss?.[1] ?? 0) / 1024 };
  } catch {
    return null;
  }
}
/** RSS (MB) of `npm start`'s processes, split into workerd and the rest (npm, the CLI, wrangler's Node). */
function rss(root: number): { workerdMb: number; nodeMb: number } {
  let workerdMb = 0;
  let nodeMb = 0;
  for (const p of tree(root)) {
    const i = procInfo(p);
    if (!i) continue;
    if (i.comm === "workerd") workerdMb += i.rssMb;
    else nodeMb += i.rssMb;
  }
  return { workerdMb, nodeMb };
}

function scratchCopy(tmp: string, fakeUrl: string): string {
  const copy = join(tmp, "repo");
  mkdirSync(copy, { recursive: true });
  for (const p of COPIED) cpSync(join(ROOT, p), join(copy, p), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  writeFileSync(
    join(copy, ".dev.vars"),
    `TELEGRAM_DEMO_BOT_TOKEN=${BOT_TOKEN}\nTELEGRAM_API_ROOT=${fakeUrl}\nTELEGRAM_DEMO_SECRET_TOKEN=${SECRET}\n`,
  );
  return copy;
}

interface Phase {
  rate: number;
  sent: number;
  acked: number;
  errors: number;
  ackP50: number;
  ackP99: number;
  ackMax: number;
  /** sendMessage calls at the fake during the phase. */
  replies: number;
  backlogAtEnd: number;
  backlogAfter: number;
  /** Replies per second over the phase (includes earlier backlog being drained). */
  replyRate: number;
  workerdMb: number;
  nodeMb: number;
}

let nextUpdate = 700_000_000;

async function phase(
  pool: Pool,
  rate: number,
  replies: () => number,
  pid: number,
  base: number,
  seconds = DURATION_S,
): Promise<Phase> {
  const total = Math.round(rate * seconds);
  const acks: number[] = [];
  let errors = 0;
  let acked = 0;
  const replies0 = replies();
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  const abort = new AbortController();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const chatId = base + (i % CHATS);
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
          path: "/webhooks/telegram/demo-bot",
          headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
          body,
          signal: abort.signal,
        })
        .then(async (res) => {
          await res.body.text();
          if (res.statusCode >= 200 && res.statusCode < 300) {
            acked++;
            acks.push(performance.now() - due);
          } else errors++;
        })
        .catch(() => {
          if (!abort.signal.aborted) errors++;
        }),
    );
  }
  // Bounded: answers still missing GRACE_S after the last scheduled send are aborted and count as unacked.
  const all = Promise.all(inflight);
  const bound = t0 + seconds * 1000 + GRACE_S * 1000 - performance.now();
  const timedOut = await Promise.race([all.then(() => false), sleep(Math.max(0, bound)).then(() => true)]);
  if (timedOut) {
    abort.abort();
    await all;
  }
  // Unacked messages count as +Infinity in the ack percentiles (shown as "> bound").
  for (let k = acks.length; k < total - errors; k++) acks.push(Number.POSITIVE_INFINITY);
  const wallS = (performance.now() - t0) / 1000;
  const r1 = replies() - replies0;
  const mem = rss(pid);
  const backlogAtEnd = total - r1;
  await sleep(AFTER_S * 1000);
  const backlogAfter = total - (replies() - replies0);
  return {
    rate,
    sent: total,
    acked,
    errors,
    ackP50: pct(acks, 0.5),
    ackP99: pct(acks, 0.99),
    ackMax: Math.max(...acks.filter(Number.isFinite)),
    replies: r1,
    backlogAtEnd,
    backlogAfter,
    replyRate: r1 / wallS,
    workerdMb: mem.workerdMb,
    nodeMb: mem.nodeMb,
  };
}

async function main(): Promise<number> {
  const started = new Date();
  const tmp = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "hookline-bench-start-"));
  const fake = await startFakeTelegram();
  let child: ChildProcess | undefined;
  const source = describeSource(ROOT);
  try {
    const copy = scratchCopy(tmp, fake.url);
    log(`scratch copy ${copy}; fake Bot API ${fake.url}; npm start -- --port ${PORT}`);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    child = spawn(npm, ["start", "--", "--port", String(PORT)], {
      cwd: copy,
      detached: true, // its own process group, so it and only it is stopped at the end
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PORT: String(PORT) },
    });
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.stderr?.on("data", (d) => {
      out += d;
    });
    const bootStart = Date.now();
    const pool = new Pool(`http://127.0.0.1:${PORT}`, { connections: 128, pipelining: 1 });
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`npm start exited ${child.exitCode}:\n${out.slice(-2000)}`);
      if (/Hookline is running/.test(out)) break;
      if (Date.now() - bootStart > 180_000)
        throw new Error(`npm start not up after 180 s:\n${out.slice(-2000)}`);
      await sleep(250);
    }
    const bootMs = Date.now() - bootStart;
    const idle = rss(child.pid as number);
    log(`up in ${bootMs} ms; RSS idle workerd ${f0(idle.workerdMb)} MB, node ${f0(idle.nodeMb)} MB`);
    const replies = () => fake.calls.reduce((n, c) => n + (c.method === "sendMessage" ? 1 : 0), 0);
    // Warm-up: 5 s at 10/s on other chats, then its backlog is given AFTER_S to drain.
    const warm = await phase(pool, 10, replies, child.pid as number, 990_000_000, 5);
    log(`warm-up at 10/s: ack p50 ${f1(warm.ackP50)} ms, backlog after ${warm.backlogAfter}`);
    const phases: Phase[] = [];
    for (const [k, rate] of RATES.entries()) {
      const p = await phase(pool, rate, replies, child.pid as number, 100_000_000 * (k + 1));
      phases.push(p);
      log(
        `${rate}/s × ${DURATION_S} s: acked ${p.acked}/${p.sent} (${p.errors} errors), ack p50 ${fmtAck(p.ackP50)} p99 ${fmtAck(p.ackP99)} ms; ` +
          `replies ${p.replies} (${f1(p.replyRate)}/s), backlog ${p.backlogAtEnd} → ${p.backlogAfter} after ${AFTER_S} s; ` +
          `RSS workerd ${f0(p.workerdMb)} MB, node ${f0(p.nodeMb)} MB`,
      );
    }
    await pool.close();
    const rows = tableRows(phases);
    console.log(consoleTable(rows));
    const raw = {
      date: started.toISOString(),
      source,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "?",
        loadavgAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
      },
      method: { rates: RATES, durationS: DURATION_S, afterS: AFTER_S, chats: CHATS, bootMs, idleRss: idle },
      phases,
      warm,
    };
    if (!args["no-write"]) {
      const jsonPath = join(ROOT, "bench-results", "start.json");
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify(raw, null, 2)}\n`);
      const docPath = join(ROOT, "docs", "benchmarks.md");
      writeDocSection(docPath, docSection(raw, rows), DOC_START, DOC_END);
      formatDoc(ROOT, docPath);
      log("wrote bench-results/start.json and docs/benchmarks.md (start section)");
    }
    return phases.some((p) => p.errors > 0) ? 1 : 0;
  } finally {
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // gone
      }
      await sleep(1500);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await fake.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const fmtAck = (v: number) => (Number.isFinite(v) ? f1(v) : `> ${GRACE_S * 1000}`);

/** A rate is "kept up" when the backlog 10 s after the phase is under 1 s of that rate's messages. */
const keptUp = (p: Phase) => p.backlogAfter <= p.rate;

function tableRows(phases: Phase[]): string[][] {
  return [
    [
      "rate /s",
      "acked",
      "ack p50 ms",
      "ack p99 ms",
      "replies /s",
      "backlog end",
      `backlog +${AFTER_S} s`,
      "workerd RSS MB",
      "node RSS MB",
      `ack p99 ≤ ${TARGETS.ackP99Ms}`,
      "kept up",
    ],
    ...phases.map((p) => [
      String(p.rate),
      `${p.acked}/${p.sent}`,
      fmtAck(p.ackP50),
      fmtAck(p.ackP99),
      f1(p.replyRate),
      String(p.backlogAtEnd),
      String(p.backlogAfter),
      f0(p.workerdMb),
      f0(p.nodeMb),
      verdict(p.ackP99 <= TARGETS.ackP99Ms),
      p.backlogAfter <= p.rate ? "yes" : "no",
    ]),
  ];
}

const DOC_START = "<!-- start:start -->";
const DOC_END = "<!-- start:end -->";

function docSection(
  raw: {
    date: string;
    source: { ref: string; commit: string; dirty: boolean };
    machine: { cpus: number; cpuModel: string; loadavgAtEnd: number[] };
    method: {
      durationS: number;
      afterS: number;
      chats: number;
      bootMs: number;
      idleRss: { workerdMb: number; nodeMb: number };
    };
    phases: Phase[];
  },
  rows: string[][],
): string {
  const m = raw.machine;
  const best = raw.phases.filter((p) => keptUp(p) && p.ackP99 <= TARGETS.ackP99Ms).map((p) => p.rate);
  const capacity = best.length ? Math.max(...best) : 0;
  const code = `${raw.source.ref} at ${raw.source.commit.slice(0, 10)}${raw.source.dirty ? " with uncommitted changes" : ""}`;
  return `## \`npm start\` as users run it: open-loop chat load

_Last run: ${raw.date} · ${code} · ${raw.method.durationS} s per rate_

**Machine.** ${m.cpus} cores (${m.cpuModel}), shared with other work; load average at the end ${m.loadavgAtEnd.join(" / ")}.

**Target.** ≥ ${TARGETS.turnsPerSec} turns/s with ack p99 ≤ ${TARGETS.ackP99Ms} ms and replies keeping up; above capacity the ack
p99 stays ≤ ${TARGETS.ackP99Ms} ms while runs lag durably. Highest rate kept up with ack p99 in bounds: **${capacity}/s** →
${verdict(capacity >= TARGETS.turnsPerSec)}.

${markdownTable(rows, [])}

**Method.** \`npm start -- --port ${PORT}\` (wrangler dev on 127.0.0.1, \`HOOKLINE_ENV=development\`, the shipped
hookline.yaml: demo-bot → demo-chat, an \`echo\` llm step, a branch and a reply) in a scratch copy of the repo whose
\`.dev.vars\` holds the demo bot token, \`TELEGRAM_API_ROOT\` = a fake Bot API in the load generator's process and the
webhook secret (\`npm start\` adds the other secrets). Booted in ${Math.round(raw.method.bootMs / 1000)} s; idle RSS workerd
${f0(raw.method.idleRss.workerdMb)} MB, Node processes (npm, CLI, wrangler) ${f0(raw.method.idleRss.nodeMb)} MB. A 10/s warm-up phase, then
each rate for ${raw.method.durationS} s, open loop (each message sent at its scheduled time whatever the answers; up to 128
connections; answers still missing ${GRACE_S} s after the phase's last send are aborted and count as > ${GRACE_S} s in the
ack percentiles and "acked"), ${raw.method.chats} chats round robin, a new update_id each. Ack = scheduled send → webhook answer. Replies =
\`sendMessage\` calls at the fake; backlog = sent − replies, at the phase end and ${raw.method.afterS} s later (then the next
phase starts; leftover backlog is drained during it). "Kept up" = backlog after ${raw.method.afterS} s ≤ one second of messages.
RSS is read at the phase end from /proc for every process in \`npm start\`'s tree.

Raw numbers: \`bench-results/start.json\` (git-ignored).
`;
}

process.exitCode = await main().catch((err) => {
  console.error(err);
  return 1;
});
