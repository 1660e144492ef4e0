/**
 * `npm run bench:node`, part 2: the step hop on Node. A workflow of CHAIN sequential `llm` steps on the offline
 * `echo` model, run two ways: through the persisted STEPS queue (each step's `timeout` above
 * `defaults.inlineMaxTimeout`, so no attempt may run inline: the judged "queued hop", checked per attempt), and as
 * shipped, where a sequential step's first attempt may run inside the RunObject (`mode: inline` in the trace; how
 * many did is counted and reported). Per hop from the trace: the previous attempt's finishedAt → this attempt's
 * startedAt, and enqueuedAt → startedAt; also run time ÷ steps.
 * Baseline, same Node, same run: the probe server's chain of queue messages (bench/node/probe.ts), bare and with
 * two durable commits per hop, measured before and after the Hookline runs and pooled.
 */
import type { Client, TraceStep } from "./client.ts";
import { FINISHED, ms } from "./client.ts";

export const CHAIN = 50;
/** How often a chain is polled for completion (timings come from the trace; its CPU counts in the step's). */
export const POLL_MS = 200;
export const WARMUP_RUNS = 3;

export type HopMode = "queue" | "shipped";
/** The GitHub-scheme source that starts each chain. */
export const HOP_SOURCES: Record<HopMode, string> = { queue: "bench-hop", shipped: "bench-hop-shipped" };

const chain = (extra: Record<string, unknown>) => ({
  steps: Array.from({ length: CHAIN }, (_, i) => ({
    id: `s${i}`,
    kind: "llm",
    model: "echo",
    prompt: "{{ input.text }}",
    ...extra,
  })),
});

/** Workflows by source name (the overlay maps each source to the workflow of the same name). */
export const HOP_WORKFLOWS: Record<string, unknown> = {
  // Above the default inlineMaxTimeout (2 min): every attempt goes through the STEPS queue.
  [HOP_SOURCES.queue]: chain({ timeout: "3m" }),
  [HOP_SOURCES.shipped]: chain({}),
};

export interface ChainStats {
  runs: { runId: string; runMs: number; perStepMs: number }[];
  /** Previous attempt finished → next attempt started, pooled over runs. */
  hops: number[];
  /** Attempt enqueued → started. */
  queue: number[];
  /** Previous attempt finished → next attempt enqueued. */
  report: number[];
  /** An echo attempt itself: started → finished. */
  exec: number[];
  /** Server CPU ms per step (user + system of the Hookline process over the run, /proc). */
  cpuPerStepMs: number[];
  /** Attempts the trace shows as run inline by the RunObject, of all attempts. */
  inlineAttempts: number;
  attempts: number;
}

export interface HopResult {
  queued: ChainStats;
  shipped: ChainStats;
  baseline: { bare: number[]; commits: number[]; barePerHop: number[]; commitsPerHop: number[] };
}

const emptyStats = (): ChainStats => ({
  runs: [],
  hops: [],
  queue: [],
  report: [],
  exec: [],
  cpuPerStepMs: [],
  inlineAttempts: 0,
  attempts: 0,
});

async function chainRun(hl: Client, mode: HopMode, cpuMs: () => number, into?: ChainStats): Promise<void> {
  const cpu0 = cpuMs();
  const runId = await hl.deliver(HOP_SOURCES[mode], { text: "hop" });
  const t = await hl.waitFor(runId, (x) => FINISHED.includes(x.status), POLL_MS, 30_000);
  const cpu = cpuMs() - cpu0;
  if (t.status !== "completed") throw new Error(`llm chain ${runId} ended ${t.status}: ${t.error?.message}`);
  if (t.steps.length !== CHAIN || t.steps.some((s) => s.status !== "succeeded"))
    throw new Error(`llm chain ${runId}: ${t.steps.length} attempts, not ${CHAIN} succeeded`);
  const inline = t.steps.filter((s) => s.mode === "inline").length;
  if (mode === "queue" && inline)
    throw new Error(`queued chain ${runId}: ${inline} of ${CHAIN} attempts ran inline`);
  if (!into) return;
  into.inlineAttempts += inline;
  into.attempts += t.steps.length;
  const s = t.steps;
  for (let i = 0; i < s.length; i++) {
    const cur = s[i] as TraceStep;
    into.exec.push(ms(cur.finishedAt) - ms(cur.startedAt));
    into.queue.push(ms(cur.startedAt) - ms(cur.enqueuedAt));
    if (i === 0) continue;
    const prev = s[i - 1] as TraceStep;
    into.hops.push(ms(cur.startedAt) - ms(prev.finishedAt));
    into.report.push(ms(cur.enqueuedAt) - ms(prev.finishedAt));
  }
  const runMs = ms(t.finishedAt) - ms(t.createdAt);
  into.runs.push({ runId, runMs, perStepMs: runMs / CHAIN });
  into.cpuPerStepMs.push(cpu / CHAIN);
}

async function skeleton(probe: Client, into: HopResult["baseline"], rounds: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (const commits of [0, 2] as const) {
      const res = await probe.post(`/queue-hop?n=${CHAIN}&commits=${commits}`, {}, "");
      if (res.status !== 200) throw new Error(`probe /queue-hop answered ${res.status} ${res.body}`);
      const { hops, totalMs } = JSON.parse(res.body) as { hops: number[]; totalMs: number };
      (commits ? into.commits : into.bare).push(...hops);
      (commits ? into.commitsPerHop : into.barePerHop).push(totalMs / CHAIN);
    }
  }
}

const p50 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Warm-ups, then `runs` chains of each mode, alternating, between two halves of the baseline. */
export async function measureHops(
  hl: Client,
  probe: Client,
  runs: number,
  cpuMs: () => number,
  log: (msg: string) => void,
): Promise<HopResult> {
  const out: HopResult = {
    queued: emptyStats(),
    shipped: emptyStats(),
    baseline: { bare: [], commits: [], barePerHop: [], commitsPerHop: [] },
  };
  await skeleton(probe, { bare: [], commits: [], barePerHop: [], commitsPerHop: [] }, 1); // warm-up
  await skeleton(probe, out.baseline, 3);
  for (let i = 0; i < WARMUP_RUNS; i++) {
    await chainRun(hl, "queue", cpuMs);
    await chainRun(hl, "shipped", cpuMs);
  }
  for (let i = 0; i < runs; i++) {
    for (const mode of i % 2 ? (["shipped", "queue"] as const) : (["queue", "shipped"] as const)) {
      const stats = mode === "queue" ? out.queued : out.shipped;
      await chainRun(hl, mode, cpuMs, stats);
      const r = stats.runs.at(-1);
      log(
        `  ${mode.padEnd(7)} chain ${i + 1}/${runs}: ${r?.runMs} ms (${r?.perStepMs.toFixed(1)} ms/step), hop p50 ${p50(stats.hops.slice(-(CHAIN - 1)))} ms`,
      );
    }
  }
  await skeleton(probe, out.baseline, 3);
  return out;
}
