/**
 * `npm run bench:node`, part 1: ack throughput and latency on Node. Closed-loop load (bench/lib/load.ts) from
 * this process against servers that each run in their own Node process (bench/node/server.ts): a bare Hono route
 * and a grammY bot (the baselines), one node:sqlite commit per request (the durability floor), and Hookline on
 * Node with config/bench.yaml (no workflows: the ack is what is measured) answering signed Telegram updates and
 * Standard Webhooks deliveries, each a new delivery. Several in-flight levels; rounds rotate the target order.
 */

import { dedupCheck } from "../lib/dedup.ts";
import { keepAlivePool, RequestSource, runWindow, type WindowResult } from "../lib/load.ts";
import { settle } from "../lib/proc.ts";
import { type DedupCheck, judge, median, summarize, type TargetSummary } from "../lib/report.ts";
import { baselineTargets, hooklineTargets, type Target } from "../lib/targets.ts";
import type { Child, LoopDelay } from "./child.ts";

export type AckServer = "bare" | "grammy" | "sqlite" | "hookline" | "sqlite-disk" | "hookline-disk";

export interface AckTarget extends Target {
  /** Which child serves it. */
  server: AckServer;
  /** Hookline targets: the SQLite-commit target on the same storage, whose req/s they are compared with. */
  floor?: string;
  /** Files on disk while the others are on tmpfs: measured at one level only, reported, not judged. */
  disk?: boolean;
}

const byId = (list: Target[], id: string) => list.find((t) => t.id === id) as Target;

const ACK_TARGETS: AckTarget[] = [
  {
    ...byId(baselineTargets, "bare-hono"),
    server: "bare",
    describe:
      'bare Hono on @hono/node-server: app.post("/webhooks/telegram/:bot", await c.req.arrayBuffer(), 200 JSON)',
  },
  {
    ...byId(baselineTargets, "grammy"),
    server: "grammy",
    describe:
      'grammY webhookCallback(bot, "hono", { secretToken }) on @hono/node-server, on("message", () => {})',
  },
  {
    ...byId(baselineTargets, "bare-hono"),
    id: "sqlite-commit",
    server: "sqlite",
    describe: "the bare route + one INSERT (node:sqlite, WAL, synchronous=FULL): the durable-commit floor",
  },
  {
    ...byId(hooklineTargets, "telegram"),
    server: "hookline",
    floor: "sqlite-commit",
    describe: "Hookline on Node: POST /webhooks/telegram/demo-bot, secret token header, new update_id each",
  },
  {
    ...byId(hooklineTargets, "standard-webhooks"),
    server: "hookline",
    floor: "sqlite-commit",
    describe: "Hookline on Node: POST /webhooks/in/orders, Standard Webhooks signature, new webhook-id each",
  },
];

const DISK_TARGETS: AckTarget[] = [
  {
    ...byId(baselineTargets, "bare-hono"),
    id: "sqlite-commit-disk",
    server: "sqlite-disk",
    disk: true,
    describe: "sqlite-commit with its file on disk (the OS temp dir): every commit pays this VM's fsync",
  },
  {
    ...byId(hooklineTargets, "telegram"),
    id: "telegram-disk",
    server: "hookline-disk",
    floor: "sqlite-commit-disk",
    disk: true,
    describe: "telegram with Hookline's files on disk (the OS temp dir)",
  },
];

/** The ack targets, with the disk pair when the others' files are on tmpfs. */
export function ackTargets(disk: boolean): AckTarget[] {
  return disk ? [...ACK_TARGETS, ...DISK_TARGETS] : ACK_TARGETS;
}

export interface AckOptions {
  targets: AckTarget[];
  /** The in-flight level at which the disk targets are measured. */
  diskLevel: number;
  levels: number[];
  rounds: number;
  warmupMs: number;
  durationMs: number;
  copies: number;
}

export interface LevelResult {
  concurrency: number;
  summaries: TargetSummary[];
  /** Hookline targets: req/s ÷ the SQLite floor's. */
  vsFloor: Record<string, number>;
  /** The server's event-loop delay over the measured windows (medians over rounds), ms. */
  loop: Record<string, { p99: number; max: number }>;
}

export interface AckResult {
  targets: { id: string; describe: string; disk: boolean }[];
  levels: LevelResult[];
  dedup: DedupCheck[];
  errors: number;
  errorSamples: string[];
  /** Median time the server took to go idle after each target's window (background work left behind). */
  settleMs: Record<string, number>;
}

export async function measureAcks(
  children: Partial<Record<AckServer, Child>>,
  opts: AckOptions,
  log: (msg: string) => void,
): Promise<AckResult> {
  const childOf = (t: AckTarget) => children[t.server] as Child;
  const all = opts.targets;
  // Sanity: every target answers its success response (and grammY refuses a wrong secret token).
  for (const t of all) {
    const pool = keepAlivePool(childOf(t).url, 1);
    const src = new RequestSource(t);
    await src.prepare(1);
    const req = await src.take();
    const res = await pool.request({ method: "POST", path: req.path, headers: req.headers, body: req.body });
    const text = await res.body.text();
    if (!t.ok(res.statusCode, text)) throw new Error(`sanity: ${t.id} answered ${res.statusCode} ${text}`);
    if (t.id === "grammy") {
      const bad = await pool.request({
        method: "POST",
        path: req.path,
        headers: { ...req.headers, "X-Telegram-Bot-Api-Secret-Token": "wrong" },
        body: req.body,
      });
      await bad.body.text();
      if (bad.statusCode !== 401)
        throw new Error(`sanity: grammY accepted a wrong secret (${bad.statusCode})`);
    }
    await pool.close();
  }
  const dedup: DedupCheck[] = [];
  for (const t of all.filter((x) => x.kind === "hookline" && !x.disk)) {
    const d = await dedupCheck(t, childOf(t).url, opts.copies);
    dedup.push(d);
    log(
      `dedup ${t.id}: ${d.copies} concurrent copies → ${d.accepted} accepted, ${d.duplicate} duplicate ${d.pass ? "PASS" : "FAIL"}`,
    );
  }
  await settle([childOf(all.find((t) => t.server === "hookline") as AckTarget).pid]);

  const levels: LevelResult[] = [];
  const settleMs = new Map<string, number[]>();
  const rateGuess = new Map<string, number>();
  let errors = 0;
  const errorSamples: string[] = [];
  for (const concurrency of opts.levels) {
    const targets = all.filter((t) => !t.disk || concurrency === opts.diskLevel);
    const results = new Map<string, WindowResult[]>(targets.map((t) => [t.id, []]));
    const loops = new Map<string, LoopDelay[]>(targets.map((t) => [t.id, []]));
    const pools = new Map(targets.map((t) => [t.id, keepAlivePool(childOf(t).url, concurrency)]));
    for (let round = 0; round < opts.rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length] as AckTarget);
      for (const t of order) {
        const pid = childOf(t).pid;
        const pool = pools.get(t.id) as ReturnType<typeof keepAlivePool>;
        const source = new RequestSource(t);
        let guess = rateGuess.get(t.id) ?? 3000;
        await source.prepare(Math.ceil((guess * 2 * opts.warmupMs) / 1000) + 300);
        const warm = await runWindow(pool, source, concurrency, opts.warmupMs, [pid]);
        guess = Math.max(guess, warm.rps);
        await source.prepare(Math.ceil((guess * 2 * opts.durationMs) / 1000) + 300);
        await childOf(t).loop(); // reset
        const r = await runWindow(pool, source, concurrency, opts.durationMs, [pid]);
        const loop = await childOf(t).loop();
        loops.get(t.id)?.push(loop);
        results.get(t.id)?.push(r);
        rateGuess.set(t.id, Math.max(guess, r.rps));
        errors += warm.errors + r.errors;
        errorSamples.push(...warm.errorSamples, ...r.errorSamples);
        const waited = await settle([pid]);
        settleMs.set(t.id, [...(settleMs.get(t.id) ?? []), waited]);
        log(
          `${String(concurrency).padStart(3)} in flight, round ${round + 1} ${t.id.padEnd(17)} ${Math.round(r.rps).toString().padStart(6)} req/s  ` +
            `p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms  server ${r.workerdCpuMsPerReq.toFixed(2)} ms CPU/req ` +
            `(${r.workerdCores.toFixed(2)} cores; other ${r.otherCores.toFixed(2)})  loop delay p99 ${loop.p99} max ${loop.max} ms  errors ${r.errors}  settle ${Math.round(waited)} ms`,
        );
      }
    }
    await Promise.all([...pools.values()].map((p) => p.close()));
    const summaries = targets.map((t) => summarize(results.get(t.id) ?? [], t));
    const get = (id: string) => summaries.find((s) => s.target === id) as TargetSummary;
    const vsFloor: Record<string, number> = {};
    for (const t of targets.filter((x) => x.floor)) {
      const s = get(t.id);
      judge(s, get("bare-hono"), get("grammy"));
      if (t.disk) delete s.verdict; // reported beside the tmpfs rows, not judged
      vsFloor[t.id] = s.rps / get(t.floor as string).rps;
    }
    const loopOf = (id: string, k: keyof LoopDelay) => median((loops.get(id) ?? []).map((l) => l[k]));
    const loop = Object.fromEntries(
      targets.map((t) => [t.id, { p99: loopOf(t.id, "p99"), max: loopOf(t.id, "max") }]),
    );
    levels.push({ concurrency, summaries, vsFloor, loop });
  }
  return {
    targets: all.map((t) => ({ id: t.id, describe: t.describe, disk: Boolean(t.disk) })),
    levels,
    dedup,
    errors,
    errorSamples: errorSamples.slice(0, 5),
    settleMs: Object.fromEntries([...settleMs].map(([id, v]) => [id, Math.round(median(v))])),
  };
}
