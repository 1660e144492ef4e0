/**
 * Scenario: Postgres is unreachable for 30 s during a burst of 1,000 runs.
 *
 * wrangler dev (workerd, local queues) in a scratch copy, history on: DATABASE_URL = a fresh `hookline_faults`
 * database, DATABASE_WS_PROXY = a WebSocket→TCP proxy in this process. 1,000 signed deliveries (distinct ids)
 * go to a generic source whose workflow is an `echo` llm step and a transform (no network). Partway into the
 * burst the proxy goes down (open tunnels killed, new ones refused with 503) for 30 s, then comes back.
 * Afterwards, per run: the run row exists, its status is the trace's (GET /runs/:id), its events are exactly
 * the ones the trace implies (no fewer, no more, no semantic duplicate), and one delivery row per delivery.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { Pool } from "undici";
import { type PgWsProxy, startPgWsProxy } from "../src/cli/pg-ws-proxy.ts";
import { signers } from "../src/core/sign/index.ts";
import { freshDatabase, withClient } from "./lib/database.ts";
import { num, type Scenario, type ScenarioOptions, type ScenarioResult } from "./lib/scenario.ts";
import { type Stack, startStack } from "./lib/stack.ts";

export interface PgOutageOptions {
  root: string;
  runs: number;
  /** Deliveries per second. */
  rate: number;
  /** Seconds into the burst when the proxy goes down. */
  outageAtS: number;
  outageS: number;
  /** How long to wait for history to settle after the burst, at most. */
  settleTimeoutS: number;
  /** Where wrangler's output (timed from the burst start) and the raw numbers go. */
  outDir: string;
  log: (m: string) => void;
}

export interface PgOutageResult {
  date: string;
  options: Omit<PgOutageOptions, "root" | "log" | "outDir">;
  sent: number;
  accepted: number;
  /** Non-202 answers or transport errors. */
  refused: number;
  acceptedDuringOutage: number;
  burstS: number;
  outage: { startS: number; endS: number };
  runsStarted: number;
  runsInPostgres: number;
  runsTerminalInTrace: number;
  statusMismatches: number;
  eventsExpected: number;
  eventsFound: number;
  /** Runs with fewer events than the trace implies, and the events missing. */
  runsMissingEvents: number;
  eventsLost: number;
  /** A second copy of an expected event: same run, type, state and attempt (the id differs, or it would not be stored). */
  eventsDuplicated: number;
  /** Events the trace does not imply at all (e.g. a step attempt the trace does not show). */
  eventsUnexpected: number;
  attemptsExpected: number;
  attemptsFound: number;
  deliveriesAccepted: number;
  deliveriesInPostgres: number;
  deliveriesWrong: number;
  /** Seconds from the proxy coming back until every check passed (null: never within the timeout). */
  settleAfterRecoveryS: number | null;
  settleAfterBurstS: number | null;
  retries: {
    /** "history: writing … failed" warnings: one per EVENTS batch the consumer handed back for retry. */
    batchesRetried: number;
    eventsInRetriedBatches: number;
    maxTry: number;
    maxDelayS: number;
    /** When the first and the last failed write were logged, in seconds from the start of the burst. */
    firstFailureS: number | null;
    lastFailureS: number | null;
    /** Messages the local queue dropped after its last retry, or moved to a dead-letter queue. */
    dropped: number;
    deadLettered: number;
  };
  samples: string[];
  pass: boolean;
}

const SECRET = "faults-webhook-secret-0123456789abcdef";
const ADMIN = "faults-admin-token-0123456789abcdef";
const TERMINAL = new Set(["completed", "failed", "cancelled", "governor_breached"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The config overlay: one signed generic source and a two-step workflow that needs no network. */
export const OVERLAY = {
  sources: {
    faults: {
      channel: "generic",
      scheme: "github",
      secretEnv: "FAULTS_WEBHOOK_SECRET",
      workflow: "faults-echo",
    },
  },
  workflows: {
    "faults-echo": {
      description: "Fault scenarios: the built-in echo model, then a transform.",
      steps: [
        { id: "answer", kind: "llm", model: "echo", prompt: "{{ input.text }}" },
        { id: "tag", kind: "transform", set: { seen: '"yes"' } },
      ],
    },
  },
};

interface TraceStep {
  stepId: string;
  attemptId: string;
  kind: string;
  status: string;
}
interface Trace {
  runId: string;
  status: string;
  steps: TraceStep[];
}

/**
 * The events a finished run must have in Postgres, by semantic key `type|state|attempt`: its `run.state`
 * started and terminal state, and per step attempt a `step.start`, a `step.finish` and (llm) a `model.call`.
 */
export function expectedEvents(trace: Trace): string[] {
  const keys = ["run.state|started|", `run.state|${trace.status}|`];
  for (const s of trace.steps) {
    keys.push(`step.start||${s.attemptId}`, `step.finish||${s.attemptId}`);
    if (s.kind === "llm" && s.status === "succeeded") keys.push(`model.call||${s.attemptId}`);
  }
  return keys.sort();
}

async function fetchTrace(pool: Pool, runId: string): Promise<Trace | null> {
  const res = await pool.request({
    method: "GET",
    path: `/runs/${runId}`,
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  const text = await res.body.text();
  return res.statusCode === 200 ? (JSON.parse(text) as Trace) : null;
}

/** Sends `runs` signed deliveries at `rate`/s; the proxy goes down at `outageAtS` for `outageS`. */
async function burst(stack: Stack, proxy: PgWsProxy, o: PgOutageOptions, tag: string) {
  const pool = new Pool(stack.url, { connections: 32, pipelining: 1 });
  const runIds: string[] = [];
  let refused = 0;
  let acceptedDuringOutage = 0;
  let down = false;
  const t0 = performance.now();
  const outage = { startS: 0, endS: 0 };
  const toggles = (async () => {
    await sleep(o.outageAtS * 1000);
    proxy.setDown(true);
    down = true;
    outage.startS = (performance.now() - t0) / 1000;
    o.log(`proxy DOWN at ${outage.startS.toFixed(1)} s (${runIds.length} runs accepted so far)`);
    await sleep(o.outageS * 1000);
    proxy.setDown(false);
    down = false;
    outage.endS = (performance.now() - t0) / 1000;
    o.log(`proxy UP at ${outage.endS.toFixed(1)} s (${runIds.length} runs accepted so far)`);
  })();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < o.runs; i++) {
    const wait = t0 + (i * 1000) / o.rate - performance.now();
    if (wait > 1) await sleep(wait);
    const rawBody = new TextEncoder().encode(JSON.stringify({ text: `fault run ${i}`, n: i }));
    const headers = await signers.github({ rawBody, secret: SECRET, now: Date.now(), id: `${tag}-${i}` });
    inflight.push(
      pool
        .request({
          method: "POST",
          path: "/webhooks/in/faults",
          headers: { "content-type": "application/json", ...headers },
          body: rawBody,
        })
        .then(async (res) => {
          const text = await res.body.text();
          if (res.statusCode !== 202) {
            refused++;
            return;
          }
          const runId = (JSON.parse(text) as { runId?: string }).runId;
          if (!runId) refused++;
          else {
            runIds.push(runId);
            if (down) acceptedDuringOutage++;
          }
        })
        .catch(() => {
          refused++;
        }),
    );
  }
  await Promise.all(inflight);
  const burstS = (performance.now() - t0) / 1000;
  await toggles;
  return { pool, runIds, refused, acceptedDuringOutage, burstS, outage, t0 };
}

interface Snapshot {
  runsInPostgres: number;
  runsTerminalInTrace: number;
  statusMismatches: number;
  eventsExpected: number;
  eventsFound: number;
  runsMissingEvents: number;
  eventsLost: number;
  eventsDuplicated: number;
  eventsUnexpected: number;
  attemptsExpected: number;
  attemptsFound: number;
  deliveriesInPostgres: number;
  deliveriesWrong: number;
  samples: string[];
}

/** Fetches the trace of every run not yet known to be finished; keeps the finished ones in `traces`. */
async function fetchFinishedTraces(pool: Pool, runIds: string[], traces: Map<string, Trace>): Promise<void> {
  const pending = runIds.filter((id) => !traces.has(id));
  for (let i = 0; i < pending.length; i += 32) {
    await Promise.all(
      pending.slice(i, i + 32).map(async (id) => {
        const t = await fetchTrace(pool, id).catch(() => null);
        if (t && TERMINAL.has(t.status)) traces.set(id, t);
      }),
    );
  }
}

/** Compares Postgres with the traces of `runIds` (a run without a finished trace yet is not judged). */
async function check(
  dbUrl: string,
  runIds: string[],
  deliveryKeys: string[],
  traces: Map<string, Trace>,
): Promise<Snapshot> {
  return withClient(dbUrl, async (c) => {
    const runRows = await c.query<{ run_id: string; status: string }>(
      "select run_id, status from runs where run_id = any($1)",
      [runIds],
    );
    const events = await c.query<{ run_id: string; key: string; n: number }>(
      `select run_id, type || '|' || coalesce(data->>'state', '') || '|' ||
         case when type = 'run.state' then '' else coalesce(data->>'attempt_id', '') end as key, count(*)::int as n
       from events where run_id = any($1) group by 1, 2`,
      [runIds],
    );
    const attempts = await c.query<{ run_id: string; n: number }>(
      "select run_id, count(*)::int as n from step_attempts where run_id = any($1) group by 1",
      [runIds],
    );
    const deliveries = await c.query<{ key: string; outcome: string; seen_count: number }>(
      "select key, outcome, seen_count from deliveries where key = any($1)",
      [deliveryKeys],
    );
    const status = new Map(runRows.rows.map((r) => [r.run_id, r.status]));
    const found = new Map<string, Map<string, number>>();
    for (const e of events.rows) {
      const m = found.get(e.run_id) ?? new Map<string, number>();
      m.set(e.key, e.n);
      found.set(e.run_id, m);
    }
    const attemptsBy = new Map(attempts.rows.map((r) => [r.run_id, r.n]));
    const s: Snapshot = {
      runsInPostgres: status.size,
      runsTerminalInTrace: traces.size,
      statusMismatches: 0,
      eventsExpected: 0,
      eventsFound: 0,
      runsMissingEvents: 0,
      eventsLost: 0,
      eventsDuplicated: 0,
      eventsUnexpected: 0,
      attemptsExpected: 0,
      attemptsFound: 0,
      deliveriesInPostgres: deliveries.rowCount ?? 0,
      deliveriesWrong: deliveries.rows.filter((d) => d.outcome !== "accepted" || d.seen_count !== 1).length,
      samples: [],
    };
    const sample = (m: string) => {
      if (s.samples.length < 10) s.samples.push(m);
    };
    for (const id of runIds) {
      const got = found.get(id) ?? new Map<string, number>();
      for (const n of got.values()) s.eventsFound += n;
      s.attemptsFound += attemptsBy.get(id) ?? 0;
      const trace = traces.get(id);
      if (!trace) continue; // not finished yet: counted once it is
      const want = expectedEvents(trace);
      s.eventsExpected += want.length;
      s.attemptsExpected += trace.steps.length;
      if (status.get(id) !== trace.status) {
        s.statusMismatches++;
        sample(`${id}: Postgres status ${status.get(id) ?? "(no row)"}, trace ${trace.status}`);
      }
      const wantCount = new Map<string, number>();
      for (const k of want) wantCount.set(k, (wantCount.get(k) ?? 0) + 1);
      let missing = 0;
      for (const [k, n] of wantCount) missing += Math.max(0, n - (got.get(k) ?? 0));
      for (const [k, n] of got) {
        const w = wantCount.get(k) ?? 0;
        if (w === 0) s.eventsUnexpected += n;
        else if (n > w) s.eventsDuplicated += n - w;
        if (n > w) sample(`${id}: ${n}× ${k} (expected ${w})`);
      }
      if (missing > 0) {
        s.runsMissingEvents++;
        s.eventsLost += missing;
        sample(`${id}: ${missing} of ${want.length} events missing`);
      }
    }
    return s;
  });
}

function retriesIn(lines: { at: number; text: string }[], t0: number): PgOutageResult["retries"] {
  const r: PgOutageResult["retries"] = {
    batchesRetried: 0,
    eventsInRetriedBatches: 0,
    maxTry: 0,
    maxDelayS: 0,
    firstFailureS: null,
    lastFailureS: null,
    dropped: 0,
    deadLettered: 0,
  };
  const failed = /history: writing (\d+) events failed \(try (\d+), again in (\d+) s\)/;
  for (const { at, text } of lines) {
    const m = failed.exec(text);
    if (m) {
      r.batchesRetried++;
      r.eventsInRetriedBatches += Number(m[1]);
      r.maxTry = Math.max(r.maxTry, Number(m[2]));
      r.maxDelayS = Math.max(r.maxDelayS, Number(m[3]));
      const s = (at - t0) / 1000;
      r.firstFailureS ??= s;
      r.lastFailureS = s;
    }
    if (/Dropped message "[^"]*" on queue "hookline-events"/.test(text)) r.dropped++;
    if (/Moving message "[^"]*" on queue "hookline-events" to dead letter/.test(text)) r.deadLettered++;
  }
  return r;
}

interface Counts {
  at: number;
  runs: number;
  terminal: number;
  events: number;
  deliveries: number;
}

/** Polls Postgres once a second for totals over this burst's runs and deliveries, until stopped. */
function pollCounts(dbUrl: string, runIds: string[], deliveryKeys: string[]) {
  const series: Counts[] = [];
  let stopped = false;
  const done = (async () => {
    const client = new pg.Client({ connectionString: dbUrl });
    client.on("error", () => {});
    await client.connect();
    try {
      while (!stopped) {
        const { rows } = await client.query<Omit<Counts, "at">>(
          `select (select count(*)::int from runs where run_id = any($1)) as runs,
             (select count(*)::int from runs where run_id = any($1) and status = any($3)) as terminal,
             (select count(*)::int from events where run_id = any($1)) as events,
             (select count(*)::int from deliveries where key = any($2)) as deliveries`,
          [runIds, deliveryKeys, [...TERMINAL]],
        );
        if (rows[0]) series.push({ at: performance.now(), ...rows[0] });
        await sleep(1000);
      }
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return {
    series,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

function settled(s: Snapshot, n: number): boolean {
  return (
    s.runsTerminalInTrace === n &&
    s.runsInPostgres === n &&
    s.statusMismatches === 0 &&
    s.eventsLost === 0 &&
    s.eventsFound === s.eventsExpected &&
    s.attemptsFound === s.attemptsExpected &&
    s.deliveriesInPostgres === n &&
    s.deliveriesWrong === 0
  );
}

export async function pgOutage(o: PgOutageOptions): Promise<PgOutageResult> {
  const date = new Date().toISOString();
  const dbUrl = await freshDatabase("hookline_faults");
  o.log(`fresh database hookline_faults, migrated`);
  const proxy = await startPgWsProxy();
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      root: o.root,
      envName: "faults",
      overlay: OVERLAY,
      vars: {
        FAULTS_WEBHOOK_SECRET: SECRET,
        HOOKLINE_ADMIN_TOKEN: ADMIN,
        DATABASE_URL: dbUrl,
        DATABASE_WS_PROXY: proxy.url,
      },
    });
    o.log(`wrangler dev up at ${stack.url}; Postgres through the proxy at ${proxy.url}`);
    const tag = `fault-${Date.now().toString(36)}`;
    o.log(`burst: ${o.runs} deliveries at ${o.rate}/s; proxy down at ${o.outageAtS} s for ${o.outageS} s`);
    const b = await burst(stack, proxy, o, tag);
    const burstEnd = b.t0 + b.burstS * 1000;
    const recoveredAt = b.t0 + b.outage.endS * 1000;
    o.log(`burst done in ${b.burstS.toFixed(1)} s: ${b.runIds.length} accepted, ${b.refused} refused`);
    const deliveryKeys = Array.from({ length: o.runs }, (_, i) => `faults:${tag}-${i}`);
    const traces = new Map<string, Trace>();
    const deadline = Math.max(burstEnd, recoveredAt) + o.settleTimeoutS * 1000;
    const poller = pollCounts(dbUrl, b.runIds, deliveryKeys);
    let snap: Snapshot | undefined;
    let lastLog = 0;
    try {
      while (performance.now() < deadline) {
        if (traces.size < b.runIds.length) await fetchFinishedTraces(b.pool, b.runIds, traces);
        snap = await check(dbUrl, b.runIds, deliveryKeys, traces);
        if (settled(snap, b.runIds.length)) break;
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          o.log(
            `waiting: ${snap.runsTerminalInTrace}/${b.runIds.length} runs finished, ${snap.runsInPostgres} in Postgres, events ${snap.eventsFound}/${snap.eventsExpected}, deliveries ${snap.deliveriesInPostgres}`,
          );
        }
        await sleep(1000);
      }
      // A quiet period, then the final look: a late redelivery would show up as a duplicate here.
      await sleep(5000);
      snap = await check(dbUrl, b.runIds, deliveryKeys, traces);
    } finally {
      await poller.stop();
      await b.pool.close();
    }
    const n = b.runIds.length;
    const done = settled(snap, n);
    // Settled: the first once-a-second sample whose totals are the final, correct ones.
    const settledAt = done
      ? (poller.series.find(
          (c) => c.runs === n && c.terminal === n && c.events === snap.eventsExpected && c.deliveries === n,
        )?.at ?? performance.now())
      : null;
    const retries = retriesIn(stack.lines(), b.t0);
    const result: PgOutageResult = {
      date,
      options: {
        runs: o.runs,
        rate: o.rate,
        outageAtS: o.outageAtS,
        outageS: o.outageS,
        settleTimeoutS: o.settleTimeoutS,
      },
      sent: o.runs,
      accepted: b.runIds.length,
      refused: b.refused,
      acceptedDuringOutage: b.acceptedDuringOutage,
      burstS: b.burstS,
      outage: b.outage,
      runsStarted: b.runIds.length,
      ...snap,
      deliveriesAccepted: b.runIds.length,
      settleAfterRecoveryS: settledAt === null ? null : (settledAt - recoveredAt) / 1000,
      settleAfterBurstS: settledAt === null ? null : (settledAt - burstEnd) / 1000,
      retries,
      pass: false,
    };
    result.pass =
      settledAt !== null &&
      result.refused === 0 &&
      result.runsInPostgres === result.runsStarted &&
      result.runsTerminalInTrace === result.runsStarted &&
      result.eventsLost === 0 &&
      result.eventsDuplicated === 0 &&
      result.eventsUnexpected === 0 &&
      result.eventsFound === result.eventsExpected &&
      result.statusMismatches === 0 &&
      result.deliveriesInPostgres === result.deliveriesAccepted &&
      result.deliveriesWrong === 0 &&
      retries.dropped === 0 &&
      retries.deadLettered === 0;
    mkdirSync(o.outDir, { recursive: true });
    const timed = stack.lines().map((l) => `${((l.at - b.t0) / 1000).toFixed(3).padStart(8)}  ${l.text}`);
    writeFileSync(join(o.outDir, "pg-outage.log"), `${timed.join("\n")}\n`);
    const series = poller.series.map((c) => ({ ...c, at: Number(((c.at - b.t0) / 1000).toFixed(2)) }));
    writeFileSync(join(o.outDir, "pg-outage.json"), `${JSON.stringify({ result, series }, null, 1)}\n`);
    if (!result.pass) o.log(`wrangler output (tail):\n${stack.output().slice(-4000)}`);
    return result;
  } finally {
    await stack?.stop();
    await proxy.close();
  }
}

/** The table of docs/reliability.md's pg-outage section. */
export function outageRows(r: PgOutageResult): string[][] {
  const n = (v: number) => String(v);
  const s = (v: number | null) => (v === null ? "never" : `${v.toFixed(1)} s`);
  return [
    [
      "deliveries sent / held rate",
      `${r.sent} at ${(r.sent / r.burstS).toFixed(1)}/s (${r.burstS.toFixed(1)} s)`,
    ],
    ["proxy down", `${r.outage.startS.toFixed(1)} s to ${r.outage.endS.toFixed(1)} s into the burst`],
    ["runs started (202)", n(r.runsStarted)],
    ["deliveries refused", n(r.refused)],
    ["runs accepted while Postgres was down", n(r.acceptedDuringOutage)],
    ["runs in Postgres", n(r.runsInPostgres)],
    ["run status ≠ trace", n(r.statusMismatches)],
    ["events expected (from the traces)", n(r.eventsExpected)],
    ["events found", n(r.eventsFound)],
    ["events lost", n(r.eventsLost)],
    ["events duplicated", n(r.eventsDuplicated)],
    ["events unexpected", n(r.eventsUnexpected)],
    ["step attempts expected / found", `${r.attemptsExpected} / ${r.attemptsFound}`],
    ["deliveries accepted / in Postgres", `${r.deliveriesAccepted} / ${r.deliveriesInPostgres}`],
    ["EVENTS batches retried", n(r.retries.batchesRetried)],
    ["events in retried batches", n(r.retries.eventsInRetriedBatches)],
    ["highest try / longest backoff", `${r.retries.maxTry} / ${r.retries.maxDelayS} s`],
    [
      "failed writes logged from / to",
      r.retries.firstFailureS === null
        ? "none"
        : `${r.retries.firstFailureS.toFixed(1)} s / ${(r.retries.lastFailureS ?? 0).toFixed(1)} s into the burst`,
    ],
    ["messages dropped / dead-lettered", `${r.retries.dropped} / ${r.retries.deadLettered}`],
    ["settled after Postgres came back", s(r.settleAfterRecoveryS)],
    ["settled after the last delivery", s(r.settleAfterBurstS)],
  ];
}

/** Options: `--runs` (1000), `--rate` (20), `--outage-at` (10), `--outage` (30), `--settle` (180). */
export const scenario: Scenario = {
  name: "pg-outage",
  title: "Postgres outage",
  async run(opts: ScenarioOptions): Promise<ScenarioResult> {
    const t0 = performance.now();
    const r = await pgOutage({
      root: opts.root,
      runs: Math.max(1, num(opts.args, "runs", 1000)),
      rate: Math.max(1, num(opts.args, "rate", 20)),
      outageAtS: Math.max(0, num(opts.args, "outage-at", 10)),
      outageS: Math.max(0, num(opts.args, "outage", 30)),
      settleTimeoutS: Math.max(10, num(opts.args, "settle", 180)),
      outDir: opts.outDir,
      log: opts.log,
    });
    const lost =
      r.eventsLost + (r.runsStarted - r.runsInPostgres) + (r.deliveriesAccepted - r.deliveriesInPostgres);
    return {
      name: "pg-outage",
      title: "Postgres outage",
      pass: r.pass,
      counts: {
        injected: `Postgres unreachable for ${r.options.outageS} s during the burst`,
        deliveries: r.accepted,
        runs: r.runsStarted,
        faults: 1,
        lost,
        duplicated: r.eventsDuplicated,
        ...(lost || r.eventsDuplicated ? { why: "see the checks below" } : {}),
      },
      rows: outageRows(r),
      notes: r.samples,
      seconds: (performance.now() - t0) / 1000,
    };
  },
};
