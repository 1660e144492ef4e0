/**
 * Part 1: EVENTS → Postgres throughput over the production driver (Neon serverless, WebSocket, through
 * src/cli/pg-ws-proxy.ts in its own process to the local Postgres), one statement in flight at a time:
 *
 * - ours: `historyStore(drizzle(neonPool)).write(batch)`, realistic batches of `batchSize` events
 *   (bench/history/events.ts); rows = what the statement reports written (events inserted + runs, step
 *   attempts and deliveries upserted);
 * - baseline: a loop of single-row `INSERT INTO events … ON CONFLICT (id) DO NOTHING` over the same pool;
 * - context: one multi-row `INSERT INTO events … VALUES (…), (…) … ON CONFLICT DO NOTHING` per batch.
 *
 * Each round runs every target for `durationMs` (order rotated per round); medians over rounds are reported.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import { WebSocket } from "ws";
import { neonPool } from "../../src/db/history/neon.ts";
import type { EventEnvelope } from "../../src/engine/messages.ts";
import { historyStore } from "../../src/history/store.ts";
import { median } from "../lib/report.ts";
import { eventStream } from "./events.ts";

export interface WriteOptions {
  rounds: number;
  durationMs: number;
  batchSize: number;
  /** Batches prepared per window (a window ends early if it uses them all). */
  maxBatches: number;
}

export interface WriteWindow {
  rows: number;
  events: number;
  statements: number;
  ms: number;
  rowsPerSec: number;
}

export interface WriteTarget {
  id: "ours" | "single-row" | "multi-row";
  describe: string;
  rowsPerSec: number;
  /** ours: events rows alone per second (the baseline's unit); baselines: = rowsPerSec. */
  eventsPerSec: number;
  msPerStatement: number;
  windows: WriteWindow[];
}

export interface WriteResult {
  targets: WriteTarget[];
  /** Rows per batch of ours, by table (from the last window). */
  rowsPerBatch: { events: number; runs: number; attempts: number; deliveries: number };
  /** ours rows/s ÷ single-row loop rows/s, and ours events/s ÷ the same. */
  ratio: number;
  eventsRatio: number;
  /** A batch written twice adds no event rows (the upsert is keyed by producer ids). */
  redeliveryEventsWritten: number;
}

export const WRITE_TARGET_RATIO = 0.5;

export interface ProxyChild {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/history/proxy.ts in its own Node process; stop() ends that PID. */
export async function startProxyChild(timeoutMs = 15_000): Promise<ProxyChild> {
  const proc: ChildProcess = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", join(import.meta.dirname, "proxy.ts")],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((ok) => proc.once("exit", () => ok()));
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`proxy did not start in ${timeoutMs} ms`)), timeoutMs);
    proc.once("exit", (code) => fail(new Error(`proxy exited with ${code} before it listened`)));
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const m = /^READY (\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
  });
  return {
    url: `127.0.0.1:${port}`,
    pid: proc.pid as number,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      process.kill(proc.pid as number, "SIGTERM");
      await exited;
    },
  };
}

const COLUMNS = "id, v, type, run_id, workflow_id, source, delivery_key, at, data";
const valuesOf = (e: EventEnvelope) => [
  e.id,
  e.v,
  e.type,
  e.runId,
  e.workflowId,
  e.source,
  e.deliveryKey,
  e.at,
  JSON.stringify(e.data),
];
const SINGLE = `insert into events (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) on conflict (id) do nothing`;
const multi = (n: number) =>
  `insert into events (${COLUMNS}) values ${Array.from({ length: n }, (_, r) => {
    const p = (c: number) => `$${r * 9 + c}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}::jsonb)`;
  }).join(", ")} on conflict (id) do nothing`;

export async function measureWrites(
  dbUrl: string,
  proxyUrl: string,
  opts: WriteOptions,
  log: (m: string) => void,
): Promise<WriteResult> {
  // Node 22 has a global WebSocket; give the driver `ws` anyway, as a Node deployment would.
  neonConfig.webSocketConstructor = WebSocket as unknown as typeof neonConfig.webSocketConstructor;
  const pool = neonPool(dbUrl, proxyUrl);
  const store = historyStore(drizzle({ client: pool }));
  const ours = eventStream({ gapMs: 40, batchSize: opts.batchSize, seed: 1 });
  const theirs = eventStream({ gapMs: 40, batchSize: opts.batchSize, seed: 2 });
  const prepare = (s: typeof ours) => Array.from({ length: opts.maxBatches }, () => s.next());
  let lastCounts = { events: 0, runs: 0, attempts: 0, deliveries: 0 };
  let lastBatch: EventEnvelope[] = [];

  const windows = async (
    fn: (batch: EventEnvelope[]) => Promise<{ rows: number; events: number; statements: number }>,
    batches: EventEnvelope[][],
  ): Promise<WriteWindow> => {
    let rows = 0;
    let events = 0;
    let statements = 0;
    const started = performance.now();
    for (const batch of batches) {
      if (performance.now() - started >= opts.durationMs) break;
      const r = await fn(batch);
      rows += r.rows;
      events += r.events;
      statements += r.statements;
    }
    const ms = performance.now() - started;
    return { rows, events, statements, ms, rowsPerSec: (rows * 1000) / ms };
  };

  const run = {
    ours: async (batch: EventEnvelope[]) => {
      const c = await store.write(batch);
      lastCounts = c;
      lastBatch = batch;
      return { rows: c.events + c.runs + c.attempts + c.deliveries, events: c.events, statements: 1 };
    },
    "single-row": async (batch: EventEnvelope[]) => {
      let rows = 0;
      for (const e of batch) rows += (await pool.query(SINGLE, valuesOf(e))).rowCount ?? 0;
      return { rows, events: rows, statements: batch.length };
    },
    "multi-row": async (batch: EventEnvelope[]) => {
      const rows = (await pool.query(multi(batch.length), batch.flatMap(valuesOf))).rowCount ?? 0;
      return { rows, events: rows, statements: 1 };
    },
  } as const;
  const ids = Object.keys(run) as (keyof typeof run)[];
  const got: Record<keyof typeof run, WriteWindow[]> = { ours: [], "single-row": [], "multi-row": [] };

  try {
    // Warm-up: open the pool's connection and let Postgres plan each statement once.
    for (const id of ids)
      for (let i = 0; i < 3; i++) await run[id](id === "ours" ? ours.next() : theirs.next());
    for (let round = 0; round < opts.rounds; round++) {
      const order = ids.map((_, i) => ids[(i + round) % ids.length] as keyof typeof run);
      for (const id of order) {
        const batches = prepare(id === "ours" ? ours : theirs);
        const w = await windows(run[id], batches);
        got[id].push(w);
        log(
          `round ${round + 1} ${id.padEnd(10)} ${Math.round(w.rowsPerSec)} rows/s (${w.rows} rows, ${w.statements} statements, ${Math.round(w.ms)} ms)`,
        );
      }
    }
    const again = await store.write(lastBatch);
    const target = (id: keyof typeof run, describe: string): WriteTarget => {
      const ws = got[id];
      return {
        id,
        describe,
        rowsPerSec: median(ws.map((w) => w.rowsPerSec)),
        eventsPerSec: median(ws.map((w) => (w.events * 1000) / w.ms)),
        msPerStatement: median(ws.map((w) => w.ms / Math.max(1, w.statements))),
        windows: ws,
      };
    };
    const targets = [
      target(
        "ours",
        `historyStore.write(batch of ${opts.batchSize} events): one upsert statement, all tables`,
      ),
      target("single-row", "INSERT INTO events … ON CONFLICT (id) DO NOTHING, one row per statement"),
      target("multi-row", `INSERT INTO events … VALUES ×${opts.batchSize} … ON CONFLICT DO NOTHING`),
    ];
    const [o, s] = targets as [WriteTarget, WriteTarget];
    return {
      targets,
      rowsPerBatch: lastCounts,
      ratio: o.rowsPerSec / s.rowsPerSec,
      eventsRatio: o.eventsPerSec / s.rowsPerSec,
      redeliveryEventsWritten: again.events,
    };
  } finally {
    await pool.end();
  }
}

/**
 * What a Workers request pays before its first query: a new Neon pool (WebSocket through the proxy, Postgres
 * startup) and `select 1`, then `end()`; from Node, `n` times one after another. Context for the workerd rows.
 */
export async function measureConnect(dbUrl: string, proxyUrl: string, n: number): Promise<number[]> {
  neonConfig.webSocketConstructor = WebSocket as unknown as typeof neonConfig.webSocketConstructor;
  const samples: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const started = performance.now();
    const pool = neonPool(dbUrl, proxyUrl);
    await pool.query("select 1");
    await pool.end();
    if (i >= 3) samples.push(performance.now() - started);
  }
  return samples;
}
