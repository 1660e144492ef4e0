/**
 * What every fault scenario exports and returns. `faults/run.ts` runs a list of them, prints one line each
 * and writes each one's section (and its row of the summary table) into docs/reliability.md.
 */

/** The options every scenario gets; `args` holds the command line's values (strings and booleans). */
export interface ScenarioOptions {
  root: string;
  /** Where a scenario may write raw output (gitignored `faults-results/`). */
  outDir: string;
  log: (m: string) => void;
  args: Record<string, string | boolean | undefined>;
}

/** The one-line summary, and the row of docs/reliability.md's table. */
export interface ScenarioCounts {
  /** What was injected, in a few words. */
  injected: string;
  /** Deliveries acknowledged with a 2xx. */
  deliveries: number;
  runs: number;
  /** How many faults were injected (kills, outages, thrown batches …). */
  faults: number;
  /** Runs, deliveries, events or replies lost: 0, or the count. */
  lost: number;
  duplicated: number;
  /** Why anything was lost or duplicated (empty when both are 0). */
  why?: string;
}

export interface ScenarioResult {
  name: string;
  title: string;
  pass: boolean;
  counts: ScenarioCounts;
  /** Two-column rows (what, value) for the console and the doc's "last run" table. */
  rows: string[][];
  /** Free-form findings worth reading (failed checks first). */
  notes: string[];
  seconds: number;
}

export interface Scenario {
  name: string;
  title: string;
  run(opts: ScenarioOptions): Promise<ScenarioResult>;
}

/** Shared helpers for scenarios. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function num(args: ScenarioOptions["args"], key: string, fallback: number): number {
  const v = args[key];
  const n = typeof v === "string" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : fallback;
}

/** A small seeded PRNG (mulberry32), so a failing run can be repeated with `--seed`. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
