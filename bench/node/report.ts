/** Tables and the "Node adapter" section of docs/benchmarks.md for `npm run bench:node`. */
import { consoleTable, GOALS, markdownTable, median, type TargetSummary } from "../lib/report.ts";
import { f0, f1, f2, pair, type Stats, stats, verdict } from "../lib/stats.ts";
import type { AckResult } from "./ack.ts";
import { CHAIN, type HopResult, POLL_MS, WARMUP_RUNS } from "./hop.ts";
import { STREAMED_MS, type StopResult, type StopSample } from "./stop.ts";

export const TARGETS = { hopP50Ms: 5, stopP95Ms: 25 } as const;

export interface NodeRaw {
  date: string;
  durationSec: number;
  source: { ref: string; commit: string; dirty: boolean };
  stateDir: string;
  machine: {
    cpus: number;
    cpuModel: string;
    loadavgAtEnd: number[];
    node: string;
    hono: string;
    nodeServer: string;
    grammy: string;
  };
  method: {
    levels: number[];
    /** The level at which the disk pair ran, and where its files were (null: not run). */
    diskLevel: number | null;
    diskDir: string | null;
    ackRounds: number;
    warmupMs: number;
    durationMs: number;
    copies: number;
    runs: number;
    stopChats: number;
    stopRounds: number;
    singles: number;
    queuedRounds: number;
    /** STEPS batches at once in parts 2 and 3 (0 = the adapter's default, 10). */
    stepsBatches: number;
    completions: number;
  };
  ack: AckResult;
  hop: HopResult;
  stop: StopResult;
}

const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : "–");
const mark = (ok: boolean | undefined) => (ok === undefined ? "" : verdict(ok));

function ackRows(ack: AckResult): string[][] {
  const header = [
    "in flight",
    "target",
    "req/s",
    "p50 ms",
    "p99 ms",
    "server CPU ms/req",
    "loop delay p99 / max ms",
    "req/s ÷ Hono",
    "p99 ÷ Hono",
    "req/s ÷ grammY",
    "req/s ÷ SQLite floor",
    "≥0.5× Hono req/s",
    "≤2× Hono p99",
    "≥0.5× grammY req/s",
  ];
  const rows = ack.levels.flatMap((l) =>
    l.summaries.map((s) => [
      String(l.concurrency),
      s.target,
      f0(s.rps),
      f1(s.p50),
      f1(s.p99),
      f2(s.cpuMsPerReq),
      `${f0(l.loop[s.target]?.p99 ?? Number.NaN)} / ${f0(l.loop[s.target]?.max ?? Number.NaN)}`,
      s.vsHono ? f2(s.vsHono.rps) : "",
      s.vsHono ? f2(s.vsHono.p99) : "",
      s.vsGrammy ? f2(s.vsGrammy.rps) : "",
      l.vsFloor[s.target] === undefined ? "" : f2(l.vsFloor[s.target] as number),
      mark(s.verdict?.rpsVsHono),
      mark(s.verdict?.p99VsHono),
      mark(s.verdict?.rpsVsGrammy),
    ]),
  );
  return [header, ...rows];
}

function pick(samples: StopSample[], mode: StopSample["mode"], k: keyof StopSample): Stats {
  return stats(
    samples
      .filter((s) => s.mode === mode)
      .map((s) => s[k] as number)
      .filter(Number.isFinite),
  );
}

/** Everything the engine/stop table and the prose need, computed once. */
function measures(raw: NodeRaw) {
  const { stop } = raw;
  const hop = raw.hop.queued;
  const inl = raw.hop.shipped;
  const b = raw.hop.baseline;
  const hops = stats(hop.hops);
  const skel = stats(b.commits);
  const bare = stats(b.bare);
  const at = (k: keyof StopSample) => pick(stop.hookline, "at once", k);
  const one = (k: keyof StopSample) => pick(stop.hookline, "single", k);
  const bAt = pick(stop.baseline, "at once", "closedMs");
  const bOne = pick(stop.baseline, "single", "closedMs");
  return {
    hops,
    skel,
    bare,
    queue: stats(hop.queue),
    report: stats(hop.report),
    exec: stats(hop.exec),
    perStep: median(hop.runs.map((r) => r.perStepMs)),
    runMs: median(hop.runs.map((r) => r.runMs)),
    cpuPerStep: median(hop.cpuPerStepMs),
    inlineHops: stats(inl.hops),
    inlinePerStep: median(inl.runs.map((r) => r.perStepMs)),
    inlineCpuPerStep: median(inl.cpuPerStepMs),
    shippedInline: inl.inlineAttempts,
    shippedAttempts: inl.attempts,
    stopQueued: pick(stop.hookline, "queued, at once", "closedMs"),
    skelPerHop: median(b.commitsPerHop),
    barePerHop: median(b.barePerHop),
    stopAt: at("closedMs"),
    stopOne: one("closedMs"),
    confirmAt: at("confirmMs"),
    ackAt: at("ackMs"),
    streamedAt: at("streamedMs"),
    bAt,
    bOne,
    bAckAt: pick(stop.baseline, "at once", "ackMs"),
    handlerAt: at("handlerMs"),
    committedAt: at("committedMs"),
    abortAt: at("abortMs"),
    /** Server CPU per /stop over the bursts, and cores busy while they were handled (medians over rounds). */
    cpuPerStop: median(stop.bursts.map((b) => b.cpuMs / b.chats)),
    burstCores: median(stop.bursts.map((b) => b.cpuMs / b.wallMs)),
    hopOk: hops.p50 <= TARGETS.hopP50Ms,
    stopOk: at("closedMs").p95 <= TARGETS.stopP95Ms,
  };
}

function mainRows(raw: NodeRaw): string[][] {
  const m = measures(raw);
  const ratio2 = (a: Stats, b: Stats) => `${x(a.p50 / b.p50)} / ${x(a.p95 / b.p95)}`;
  const withMax = (s: Stats) => `${pair(s)} (max ${f1(s.max)})`;
  return [
    ["measure (ms)", "Hookline on Node", "baseline (same run)", "ratio", "target", "result"],
    [
      "queued hop p50 (next started − previous finished)",
      f1(m.hops.p50),
      `queue hop + 2 commits ${f1(m.skel.p50)}`,
      x(m.hops.p50 / m.skel.p50),
      `≤ ${TARGETS.hopP50Ms}`,
      verdict(m.hopOk),
    ],
    [
      "queued hop p50 / p95",
      pair(m.hops),
      `queue hop + 2 commits ${pair(m.skel)}`,
      ratio2(m.hops, m.skel),
      "",
      "",
    ],
    [
      "queued hop p50 / p95, against the bare queue hop",
      pair(m.hops),
      `queue hop ${pair(m.bare)}`,
      ratio2(m.hops, m.bare),
      "",
      "",
    ],
    ["attempt enqueued → started p50 / p95", pair(m.queue), "", "", "", ""],
    [
      `${CHAIN}-step chain: run time ÷ ${CHAIN} (median)`,
      f1(m.perStep),
      `queue hop + 2 commits ${f1(m.skelPerHop)}`,
      x(m.perStep / m.skelPerHop),
      "",
      "",
    ],
    [`server CPU per queued step (median of runs)`, f1(m.cpuPerStep), "", "", "", ""],
    [
      `as shipped (no step timeout; ${m.shippedInline} of ${m.shippedAttempts} attempts ran inline): hop p50 / p95`,
      pair(m.inlineHops),
      `queue hop + 2 commits ${pair(m.skel)}`,
      ratio2(m.inlineHops, m.skel),
      "",
      "",
    ],
    [
      `as shipped: run time ÷ ${CHAIN}; server CPU per step (medians)`,
      `${f1(m.inlinePerStep)}; ${f1(m.inlineCpuPerStep)}`,
      "",
      "",
      "",
      "",
    ],
    [
      `/stop, ${raw.method.stopChats} chats at once: POST → upstream stream closed, p50 / p95`,
      withMax(m.stopAt),
      `fetch abort via HTTP ${withMax(m.bAt)}`,
      ratio2(m.stopAt, m.bAt),
      `p95 ≤ ${TARGETS.stopP95Ms}`,
      verdict(m.stopOk),
    ],
    ...(m.stopQueued.n
      ? [
          [
            `(/stop, ${raw.method.stopChats} at once, step through the STEPS queue: same, p50 / p95)`,
            withMax(m.stopQueued),
            `fetch abort via HTTP ${withMax(m.bAt)}`,
            ratio2(m.stopQueued, m.bAt),
            `(p95 ≤ ${TARGETS.stopP95Ms})`,
            `(${verdict(m.stopQueued.p95 <= TARGETS.stopP95Ms)})`,
          ],
        ]
      : []),
    [
      "/stop, one chat: POST → upstream stream closed, p50 / p95",
      withMax(m.stopOne),
      `fetch abort via HTTP ${withMax(m.bOne)}`,
      ratio2(m.stopOne, m.bOne),
      "",
      "",
    ],
    [
      `/stop, ${raw.method.stopChats} at once: POST → "Stopped after N ms." at the fake Bot API`,
      pair(m.confirmAt),
      "",
      "",
      "",
      "",
    ],
    [
      `/stop, ${raw.method.stopChats} at once: POST → handler; → cancel committed; → attempt aborted (trace)`,
      `${pair(m.handlerAt)}; ${pair(m.committedAt)}; ${pair(m.abortAt)}`,
      "",
      "",
      "",
      "",
    ],
    [
      `server CPU per /stop, ${raw.method.stopChats} at once (cores busy)`,
      `${f1(m.cpuPerStop)} (${f2(m.burstCores)})`,
      "",
      "",
      "",
      "",
    ],
    [
      `/stop, ${raw.method.stopChats} at once: POST → its webhook answer`,
      pair(m.ackAt),
      `POST /abort answer ${pair(m.bAckAt)}`,
      ratio2(m.ackAt, m.bAckAt),
      "",
      "",
    ],
  ];
}

export function consoleSummary(raw: NodeRaw): string {
  return `${consoleTable(ackRows(raw.ack))}\n\n${consoleTable(mainRows(raw))}`;
}

/** The disk pair, measured at one level beside the tmpfs rows (reported, not judged). */
function diskNote(raw: NodeRaw): string {
  const level = raw.ack.levels.find((l) => l.concurrency === raw.method.diskLevel);
  const get = (id: string) => level?.summaries.find((s) => s.target === id);
  const floor = get("sqlite-commit-disk");
  const hl = get("telegram-disk");
  const bare = get("bare-hono");
  if (!level || !floor || !hl || !bare) return "";
  return `

**On disk** (rows \`*-disk\`, ${level.concurrency} in flight, files in \`${raw.method.diskDir}\`; reported, not judged): the one-commit floor
falls to ${f0(floor.rps)} req/s (${f2(floor.rps / bare.rps)}× the bare route; node:sqlite commits synchronously, so each
fsync holds the whole event loop) and Hookline's Telegram ack to ${f0(hl.rps)} req/s (${f2(hl.rps / bare.rps)}× the bare route,
${f2(level.vsFloor["telegram-disk"] ?? Number.NaN)}× the disk floor), p99 ${f1(hl.p99)} ms, loop held up to ${f0(level.loop["telegram-disk"]?.max ?? Number.NaN)} ms.`;
}

export function docSection(raw: NodeRaw, valid: boolean): string {
  const m = measures(raw);
  const mt = raw.method;
  const mc = raw.machine;
  const top = raw.ack.levels.at(-1);
  const hooklines = top?.summaries.filter((s) => s.kind === "hookline") ?? [];
  // One line per missed goal: how many of the (level × scheme) cells missed it, and the range of the ratio.
  const cells = raw.ack.levels.flatMap((l) => l.summaries.filter((s) => s.verdict));
  const goal = (what: string, ok: (s: TargetSummary) => boolean, ratio: (s: TargetSummary) => number) => {
    const missed = cells.filter((s) => !ok(s));
    if (missed.length === 0) return [];
    const r = missed.map(ratio);
    return [`${what} in ${missed.length} of ${cells.length} (${f2(Math.min(...r))}–${f2(Math.max(...r))}×)`];
  };
  const ackMisses = [
    ...goal(
      "req/s ≥ 0.5× Hono",
      (s) => s.verdict?.rpsVsHono ?? true,
      (s) => s.vsHono?.rps ?? Number.NaN,
    ),
    ...goal(
      "p99 ≤ 2× Hono",
      (s) => s.verdict?.p99VsHono ?? true,
      (s) => s.vsHono?.p99 ?? Number.NaN,
    ),
    ...goal(
      "req/s ≥ 0.5× grammY",
      (s) => s.verdict?.rpsVsGrammy ?? true,
      (s) => s.vsGrammy?.rps ?? Number.NaN,
    ),
  ];
  const describe = [
    ["target", "what is sent / what answers"],
    ...raw.ack.targets.map((t) => [t.id, t.describe]),
  ];
  return `## Node adapter: ack, queued hop, /stop on Node

_Last run: ${raw.date} · \`npm run bench:node\` · working tree at ${raw.source.commit.slice(0, 10)}${raw.source.dirty ? " (+ uncommitted changes)" : ""} · ${raw.durationSec} s · ${valid ? "valid run (0 error responses, duplicate check passed, every stream stopped)" : "**INVALID RUN** (see bench-results/node.json)"}_

**Machine.** ${mc.cpus} cores (${mc.cpuModel}), shared with other work; load average at the end ${mc.loadavgAtEnd.join(" / ")}.
Absolute numbers are noise here; the ratios to the baselines, measured in the same run on the same Node, are what
matter. Node ${mc.node} for every process (load generator, fakes, servers), hono ${mc.hono}, @hono/node-server ${mc.nodeServer}, grammY ${mc.grammy}.

**Targets.** Ack: throughput ≥ ${GOALS.rpsVsHono}× the bare Hono route and p99 ≤ ${GOALS.p99VsHono}× its p99 (and, as for workerd, ≥ ${GOALS.rpsVsGrammy}× grammY), at
every in-flight level. Queued hop p50 ≤ ${TARGETS.hopP50Ms} ms. /stop → upstream stream closed ≤ ${TARGETS.stopP95Ms} ms p95 with ${mt.stopChats} chats at once.

**Ack** (median of ${mt.ackRounds} rounds per level; latency send → last body byte; "server CPU" is the server process's
user + system CPU per acknowledged request, including the background work those requests cause; "loop delay" is the
server's event-loop delay over the window (\`monitorEventLoopDelay\`, 10 ms resolution): the longest stretch of work
that held every other request back):

${markdownTable(ackRows(raw.ack), [1])}

${ackMisses.length ? `Missed (level × scheme cells): ${ackMisses.join("; ")}.` : "Every ack target met at every level."}
At ${top?.concurrency} in flight the Hookline server's event loop was held up to ${hooklines.map((s) => `${f0(top?.loop[s.target]?.max ?? Number.NaN)} ms (${s.target})`).join(" and ")} at a time, the bare
route's ${f0(top?.loop["bare-hono"]?.max ?? Number.NaN)} ms (median over rounds of each window's longest delay). Hookline keeps ${hooklines.map((s) => `${f2(top?.vsFloor[s.target] ?? Number.NaN)}× (${s.target})`).join(" and ")} of the
throughput of a route that makes one durable SQLite commit per request and nothing else.${diskNote(raw)}

Duplicates: ${raw.ack.dedup.map((d) => `${d.target} ${d.copies} concurrent copies → ${d.accepted} accepted, ${d.duplicate} duplicate (${d.pass ? "PASS" : "FAIL"})`).join("; ")}.

${markdownTable(describe, [0, 1])}

**Step hop and /stop** (p50 / p95 in ms unless marked; rows in parentheses are reported, not judged):

${markdownTable(mainRows(raw), [0, 2, 4, 5])}

${m.hopOk && m.stopOk ? "Both targets met." : `Missed: ${[m.hopOk ? "" : `queued hop p50 ${f1(m.hops.p50)} ms (target ${TARGETS.hopP50Ms})`, m.stopOk ? "" : `/stop p95 ${f1(m.stopAt.p95)} ms (target ${TARGETS.stopP95Ms})`].filter(Boolean).join("; ")}.`}

**Where a queued hop goes** (p50 / p95; every step's \`timeout\` is 3 min, above \`defaults.inlineMaxTimeout\`, so each
attempt goes through the STEPS queue): the previous attempt finished → the next enqueued (stepFinished, the run's
transition and commit) ${pair(m.report)}; enqueued → started (the outbox send, the queue claim, the consumer,
stepStarted) ${pair(m.queue)}; an echo attempt itself ${pair(m.exec)}. A ${CHAIN}-step run took ${f0(m.runMs)} ms (median)
and ${f1(m.cpuPerStep)} ms of server CPU per step. As shipped, a sequential step's first attempt may run inside the
RunObject instead (\`mode: inline\` in the trace): the "as shipped" rows, the same chain without the timeout; in this
run ${m.shippedInline} of its ${m.shippedAttempts} attempts ran inline. Baselines from the probe server (bench/node/probe.ts, its own process): a message through the adapter's
persisted queue whose handler sends the next one, ${pair(m.bare)} per hop (${f1(m.barePerHop)} ms per hop over a ${CHAIN}-hop
chain), and the same with two durable commits per hop (an attempt started and finished, WAL + synchronous=FULL)
${pair(m.skel)} (${f1(m.skelPerHop)} ms per hop).

**/stop.** Per chat: \`/stop\` POST sent (Node's \`Date.now()\`) → the fake OpenAI's \`closedAt\` for that chat's
completion (the response \`close\` event, which must come before the response ended: \`clientClosedEarly\`). The
fakes run in the bench process, so both ends use one clock. The judged rounds and the single chats run the step as
shipped, inline in the RunObject (checked for every run); the queued rounds force it through the STEPS queue. The streams had been open ${pair(m.streamedAt)} ms when
/stop was sent (every chat's completion open at the fake and its first message at the fake Bot API, and each
open ≥ ${STREAMED_MS} ms). Baseline: the
probe server holds the same number of \`slow-200\` streams with a plain \`fetch\` and aborts each on \`POST /abort/:id\`,
sent at once the same way: HTTP in, \`AbortController.abort()\`, the socket closed. From the /stop POSTs until the last
confirmation the Hookline process used ${f1(m.cpuPerStop)} ms of CPU per /stop (${f2(m.burstCores)} cores busy; median over rounds,
10 ms /proc ticks), so ${raw.method.stopChats} stops on one event loop are handled one after another; the trace columns are
whole-ms server clocks (the handler's receivedAt, the run's cancel commit, the attempt's finishedAt).

**Method.**

- Every server is its own Node process (bench/node/server.ts, started by bench/node/child.ts), on 127.0.0.1 with
  @hono/node-server; the load generator, the fake OpenAI (test/servers/fake-openai.ts) and the fake Bot API
  (test/servers/fake-telegram.ts) run in the bench process. SQLite files (Hookline's objects and queues, the floor's,
  the probe's) live under ${raw.stateDir === "/dev/shm" ? "`/dev/shm` (tmpfs: commits do not pay this VM's disk fsync; `BENCH_TMPDIR=/tmp` measures disk)" : `\`${raw.stateDir}\``}, deleted afterwards.
- Ack: Hookline with \`HOOKLINE_ENV=bench\` (config/bench.yaml: no workflows) and the test secrets. Requests are built
  and signed with src/core/sign before each window (bench/lib/targets.ts, as for workerd): every Hookline request is a
  NEW delivery and must come back 2xx with an \`accepted\` ack. Load: undici Pool, ${mt.levels.join(" / ")} requests in flight
  on keep-alive connections, ${mt.warmupMs} ms warm-up then ${mt.durationMs} ms measured per target per round, ${mt.ackRounds} rounds
  per level, target order rotating; the bench waits for the server to go idle before the next target (median
  wait: ${Object.entries(raw.ack.settleMs)
    .map(([id, v]) => `${id} ${v} ms`)
    .join(", ")}).
- Hop and /stop: one Hookline process with an overlay given in memory (\`bench-node\`: GitHub-scheme sources
  \`bench-hop\` and \`bench-hop-shipped\` → ${CHAIN} \`llm\` steps on \`echo\`, with and without a 3 min step timeout;
  triggers \`/stream\` and \`/streamq\` on demo-bot → one \`llm\` step on \`openai:slow-200\`, \`stream: true\`, edited into
  the chat, as shipped (inline) and with a 3 min timeout (queued)), \`OPENAI_BASE_URL\` and \`TELEGRAM_API_ROOT\`
  pointing at the fakes. The adapter's STEPS consumer ${
    mt.stepsBatches
      ? `runs up to ${mt.stepsBatches} batches at once instead of the shipped 10 (a bench
  deviation, \`--steps-batches\`; batch size 10 and timeout 0 as shipped). It matters only for the queued /stop rounds: a
  queued streaming step holds its batch for as long as it streams, and with batch timeout 0 the ${mt.stopChats} steps arrive in
  more than 10 batches, so as shipped the later chats wait for a slot (a \`slow-200\` stream lasts 40 s) and
  ${mt.stopChats} queued streams never run at once`
      : "is used as shipped (batch 10, timeout 0, up to 10 batches at once)"
  }.
  Hop: ${WARMUP_RUNS} warm-ups + ${mt.runs} runs of each mode, alternating; hops pooled (${raw.hop.queued.hops.length} queued); times from
  \`GET /runs/:id\` (whole ms), polled every ${POLL_MS} ms (server CPU per step includes those reads). /stop: 1 warm-up +
  ${mt.stopRounds} rounds of ${mt.stopChats} new chats at once, each followed by the same on the probe, then ${mt.singles} single chats,
  then 1 warm-up + ${mt.queuedRounds} queued rounds; ${mt.completions} completions in all.

Raw numbers: \`bench-results/node.json\` (git-ignored).
`;
}
