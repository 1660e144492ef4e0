/**
 * `npm run bench:dashboard`: the dashboard's live streams on the Node adapter, each beside a baseline measured
 * in the same run, in one process (server and subscribers share its event loop, baselines too).
 *
 *   npm run bench:dashboard                      # ~1 min
 *   npx node bench/dashboard.ts --probes 20 --runs 5 --no-write
 *
 * 1. Fan-out: N SSE subscribers on GET /admin/stream (one outstanding OpsObject call each); a probe event is
 *    published to the OpsObject's feed (what the EVENTS consumer does) and timed until each subscriber has it:
 *    event → subscriber p50/p95 at 1, 100 and 1,000 subscribers, and how many subscribers the object held at
 *    once. Baseline: a bare Node SSE broadcast (an in-memory list of responses) to the same 100 subscribers.
 * 2. Run stream: runs of 8 sequential streaming echo llm steps (10 ms a word, inline), started directly on their
 *    RunObject, with and without a GET /runs/:id/stream subscriber. Overhead per event = (run time with −
 *    without) / events, plus the stream's own event latency (event `at` → subscriber). Baseline: the same runs
 *    without a subscriber.
 * Writes the "Dashboard streams" section of docs/benchmarks.md and bench-results/dashboard.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { Agent } from "undici";
import { loadFromDisk } from "../src/cli/load.ts";
import type { EventEnvelope } from "../src/engine/messages.ts";
import { WorkflowSchema } from "../src/engine/workflow-schema.ts";
import type { RunTrace } from "../src/host/run-trace.ts";
import { formatDoc, markdownTable, writeDocSection } from "./lib/report.ts";
import { describeSource } from "./lib/scratch.ts";
import { f1, pct } from "./lib/stats.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    subscribers: { type: "string", default: "1,100,1000" },
    probes: { type: "string", default: "40" },
    runs: { type: "string", default: "15" },
    "no-write": { type: "boolean", default: false },
  },
});
const LEVELS = String(args.subscribers)
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const PROBES = Math.max(1, Number(args.probes));
const RUNS = Math.max(1, Number(args.runs));
const TOKEN = "bench-dashboard-admin-token";
const STEPS = 8;
const log = (m: string) => console.log(`[bench:dashboard] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Enough sockets for 1,000 long-lived streams from one process.
const agent = new Agent({ connections: 2_000, pipelining: 0 });

/** One SSE connection, parsed as it arrives; `onEvent` sees each event with its arrival time. */
async function subscribe(
  url: string,
  headers: Record<string, string>,
  onEvent: (event: string, data: string, at: number) => void,
): Promise<() => void> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal, dispatcher: agent } as RequestInit);
  if (!res.ok || !res.body) throw new Error(`${url}: ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const at = performance.now();
        buffer += value;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) onEvent(event, data, at);
        }
      }
    } catch {
      // aborted
    }
  })();
  return () => controller.abort();
}

function probeEvent(id: string, sentAt: number): EventEnvelope {
  return {
    v: 1,
    id,
    type: "bench.probe",
    runId: null,
    workflowId: null,
    source: null,
    deliveryKey: null,
    at: Date.now(),
    data: { sentAt },
  };
}

interface FanoutRow {
  target: string;
  subscribers: number;
  held: number;
  samples: number;
  p50: number;
  p95: number;
  max: number;
}

/** Publishes probes to `publish` one at a time and waits until all `n` subscribers saw each. */
async function fanout(
  target: string,
  n: number,
  connect: (onProbe: (id: string, at: number) => void) => Promise<() => void>,
  publish: (id: string, sentAt: number) => Promise<void>,
  held: () => Promise<number>,
): Promise<FanoutRow> {
  const seen = new Map<string, { sentAt: number; arrivals: number[]; done: () => void }>();
  const onProbe = (id: string, at: number) => {
    const p = seen.get(id);
    if (!p) return;
    p.arrivals.push(at - p.sentAt);
    if (p.arrivals.length === n) p.done();
  };
  const closers: (() => void)[] = [];
  for (let i = 0; i < n; i += 50) {
    closers.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => connect(onProbe)))));
  }
  await sleep(300);
  const holding = await held();
  const latencies: number[] = [];
  for (let i = 0; i < PROBES + 3; i++) {
    const id = `probe-${target}-${n}-${i}-${crypto.randomUUID()}`;
    const sentAt = performance.now();
    const all = new Promise<void>((ok) => seen.set(id, { sentAt, arrivals: [], done: ok }));
    await publish(id, sentAt);
    await Promise.race([all, sleep(10_000)]);
    const arrivals = seen.get(id)?.arrivals ?? [];
    if (arrivals.length < n) log(`${target} ${n}: probe ${i} reached ${arrivals.length}/${n}`);
    if (i >= 3) latencies.push(...arrivals); // the first three warm up
    seen.delete(id);
    await sleep(20);
  }
  for (const close of closers) close();
  await sleep(200);
  return {
    target,
    subscribers: n,
    held: holding,
    samples: latencies.length,
    p50: pct(latencies, 0.5),
    p95: pct(latencies, 0.95),
    max: Math.max(...latencies),
  };
}

/** The baseline: a bare Node SSE server that writes each probe to every open response it keeps in a list. */
async function bareBroadcast(n: number): Promise<FanoutRow> {
  const clients = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(": hello\n\n");
    clients.add(res);
    req.on("close", () => clients.delete(res));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    return await fanout(
      "bare Node SSE broadcast",
      n,
      (onProbe) => subscribe(url, {}, (_e, data, at) => onProbe((JSON.parse(data) as { id: string }).id, at)),
      async (id) => {
        const frame = `event: event\ndata: ${JSON.stringify({ id })}\n\n`;
        for (const c of clients) c.write(frame);
      },
      async () => clients.size,
    );
  } finally {
    for (const c of clients) c.end();
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
}

interface RunRow {
  target: string;
  runs: number;
  eventsPerRun: number;
  runMsP50: number;
  runMsP95: number;
  overheadPerEventMs: number | null;
  eventLatencyP50: number | null;
  eventLatencyP95: number | null;
}

async function main() {
  // Objects import their drizzle-kit migrations (.sql as text); teach Node that first, as `npm run start:node` does.
  const { registerMigrationLoaders } = await import("../src/node/module-hooks.ts");
  registerMigrationLoaders();
  const { createNodeHookline } = await import("../src/node/hookline.ts");
  const dataDir = mkdtempSync(join(tmpdir(), "hookline-bench-dashboard-"));
  const hl = createNodeHookline({
    config: loadFromDisk(ROOT, "bench"),
    secrets: { HOOKLINE_ADMIN_TOKEN: TOKEN, HOOKLINE_ENV: "bench" },
    dataDir,
  });
  hl.start();
  const server = serve({ fetch: hl.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((ok) => server.once("listening", () => ok()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const ops = hl.res.ops();
  try {
    // ---- 1. fan-out -----------------------------------------------------------------------------
    const fan: FanoutRow[] = [];
    for (const n of LEVELS) {
      log(`fan-out: ${n} subscribers on /admin/stream`);
      fan.push(
        await fanout(
          "Hookline /admin/stream (OpsObject feed)",
          n,
          (onProbe) =>
            subscribe(`${base}/admin/stream`, auth, (event, data, at) => {
              if (event === "event") onProbe((JSON.parse(data) as { id: string }).id, at);
            }),
          async (id, sentAt) => {
            await ops.publish([probeEvent(id, sentAt)]);
          },
          async () => (await ops.feedSince(Number.MAX_SAFE_INTEGER)).subscribers,
        ),
      );
      if (n === 100) {
        log("fan-out baseline: bare Node SSE broadcast to 100");
        fan.push(await bareBroadcast(100));
      }
    }

    // ---- 2. run stream overhead -----------------------------------------------------------------
    const workflow = WorkflowSchema.parse({
      id: "bench-stream",
      steps: Array.from({ length: STEPS }, (_, i) => ({
        id: `s${i}`,
        kind: "llm",
        model: "echo?delayMs=10",
        stream: true,
        prompt: i === 0 ? "one two three four" : `{{ steps.s${i - 1}.output.text }}`,
      })),
    });
    const oneRun = async (withStream: boolean) => {
      const runId = `run_${crypto.randomUUID().replaceAll("-", "")}`;
      const latencies: number[] = [];
      let close: (() => void) | undefined;
      let ended: Promise<void> = Promise.resolve();
      await hl.res.runs
        .getByName(runId)
        .fromSession({ type: "start", runId, workflowId: "bench-stream", workflow, input: null });
      if (withStream) {
        let connectedAt = Number.POSITIVE_INFINITY;
        let done: () => void = () => {};
        ended = new Promise<void>((ok) => {
          done = ok;
        });
        close = await subscribe(`${base}/runs/${runId}/stream`, auth, (event, data) => {
          if (event === "end") return done();
          const e = JSON.parse(data) as { at?: number };
          if (typeof e.at === "number" && e.at >= connectedAt) latencies.push(Date.now() - e.at);
        });
        connectedAt = Date.now();
      }
      let trace: RunTrace | undefined;
      for (let i = 0; i < 500; i++) {
        trace = JSON.parse((await hl.res.runs.getByName(runId).getTrace()) ?? "null") as RunTrace;
        if (trace?.status === "completed") break;
        await sleep(5);
      }
      await Promise.race([ended, sleep(2_000)]);
      close?.();
      const events = (await hl.res.runs.getByName(runId).eventsSince(0)).lastSeq;
      const ms = Date.parse(trace?.finishedAt ?? "") - Date.parse(trace?.createdAt ?? "");
      return { ms, events, latencies };
    };
    const runRows: RunRow[] = [];
    const measured: Record<string, Awaited<ReturnType<typeof oneRun>>[]> = { without: [], with: [] };
    for (let i = 0; i < 3; i++) await oneRun(i % 2 === 0); // warm up
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so drift on the machine hits both sides alike.
      measured.without?.push(await oneRun(false));
      measured.with?.push(await oneRun(true));
    }
    const without = measured.without ?? [];
    const withs = measured.with ?? [];
    const events = pct(
      withs.map((r) => r.events),
      0.5,
    );
    const p50Without = pct(
      without.map((r) => r.ms),
      0.5,
    );
    const p50With = pct(
      withs.map((r) => r.ms),
      0.5,
    );
    const lat = withs.flatMap((r) => r.latencies);
    runRows.push(
      {
        target: `${STEPS}-step echo run, no subscriber (baseline)`,
        runs: without.length,
        eventsPerRun: pct(
          without.map((r) => r.events),
          0.5,
        ),
        runMsP50: p50Without,
        runMsP95: pct(
          without.map((r) => r.ms),
          0.95,
        ),
        overheadPerEventMs: null,
        eventLatencyP50: null,
        eventLatencyP95: null,
      },
      {
        target: `${STEPS}-step echo run, one /runs/:id/stream subscriber`,
        runs: withs.length,
        eventsPerRun: events,
        runMsP50: p50With,
        runMsP95: pct(
          withs.map((r) => r.ms),
          0.95,
        ),
        overheadPerEventMs: (p50With - p50Without) / events,
        eventLatencyP50: pct(lat, 0.5),
        eventLatencyP95: pct(lat, 0.95),
      },
    );

    const fanTable = [
      [
        "Target",
        "Subscribers",
        "Held by the object",
        "Samples",
        "Event → subscriber p50 (ms)",
        "p95 (ms)",
        "max (ms)",
      ],
      ...fan.map((r) => [
        r.target,
        String(r.subscribers),
        r.target.startsWith("bare") ? "–" : String(r.held),
        String(r.samples),
        f1(r.p50),
        f1(r.p95),
        f1(r.max),
      ]),
    ];
    const runTable = [
      [
        "Target",
        "Runs",
        "Events / run",
        "Run p50 (ms)",
        "Run p95 (ms)",
        "Overhead / event (ms)",
        "Event → subscriber p50 / p95 (ms)",
      ],
      ...runRows.map((r) => [
        r.target,
        String(r.runs),
        f1(r.eventsPerRun),
        f1(r.runMsP50),
        f1(r.runMsP95),
        r.overheadPerEventMs === null ? "–" : f1(r.overheadPerEventMs),
        r.eventLatencyP50 === null
          ? "–"
          : `${f1(r.eventLatencyP50)} / ${f1(r.eventLatencyP95 ?? Number.NaN)}`,
      ]),
    ];
    console.log(`\n${markdownTable(fanTable)}\n\n${markdownTable(runTable)}\n`);
    if (!args["no-write"]) {
      const src = describeSource(ROOT);
      const raw = {
        at: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        source: src,
        probes: PROBES,
        fan,
        runs: runRows,
      };
      const jsonPath = join(ROOT, "bench-results", "dashboard.json");
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify(raw, null, 2)}\n`);
      const section = `## Dashboard streams: fan-out and run streams

\`npm run bench:dashboard\` (bench/dashboard.ts), ${raw.at.slice(0, 10)}, Node ${process.version}, ${cpus().length} cores,
${src.ref} ${src.commit.slice(0, 10)}${src.dirty ? " (dirty)" : ""}. One process: the Node adapter on 127.0.0.1 and every
subscriber share its event loop (the baselines too), so the numbers include parsing on the client side.

**Fan-out.** N Server-Sent Events subscribers on \`GET /admin/stream\`; each holds one outstanding call on the
OpsObject (\`feedSince\`), woken together when a batch is published to its feed (what the EVENTS consumer does).
A probe event is published ${PROBES} times per level (after 3 warm-up probes) and timed until every subscriber
has it. "Held by the object" is how many subscribers were waiting on the object at once. Baseline: a bare Node
SSE server writing the probe to a list of open responses, to the same 100 subscribers.

${markdownTable(fanTable)}

**Run stream overhead.** Runs of ${STEPS} sequential streaming echo \`llm\` steps (10 ms a word, inline in the
RunObject, so the subscriber also gets their text as \`token\` events), started
directly on their object, interleaved with and without one \`GET /runs/:id/stream\` subscriber (${RUNS} each, after
3 warm-ups). Run time is the run's own \`createdAt\` → \`finishedAt\`; overhead per event = (p50 with − p50
without) / events per run. The stream's latency is the event's \`at\` → its arrival at the subscriber (events
written after the subscriber's response arrived).

${markdownTable(runTable)}
`;
      const doc = join(ROOT, "docs", "benchmarks.md");
      writeDocSection(doc, section, "<!-- dashboard:start -->", "<!-- dashboard:end -->");
      formatDoc(ROOT, doc);
      log("wrote bench-results/dashboard.json and docs/benchmarks.md (Dashboard streams section)");
    }
  } finally {
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise((ok) => server.close(ok));
    await hl.close();
    await agent.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
