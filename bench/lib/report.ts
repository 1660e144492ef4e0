/** Aggregation (median over rounds), verdicts against the targets, the console table and docs/benchmarks.md. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { WindowResult } from "./load.ts";

export interface TargetSummary {
  target: string;
  kind: "hookline" | "baseline";
  describe: string;
  /** Medians over rounds. */
  rps: number;
  p50: number;
  p99: number;
  /** workerd CPU ms per request and cores busy (medians over rounds). */
  cpuMsPerReq: number;
  cores: number;
  /** Cores busy with unrelated work on the machine during the windows (median): the noise floor. */
  otherCores: number;
  rounds: WindowResult[];
  /** Hookline targets only. */
  vsHono?: { rps: number; p99: number };
  vsGrammy?: { rps: number };
  verdict?: { rpsVsHono: boolean; p99VsHono: boolean; rpsVsGrammy: boolean };
}

export interface DedupCheck {
  target: string;
  copies: number;
  accepted: number;
  duplicate: number;
  other: number;
  errors: number;
  ms: number;
  pass: boolean;
}

/** Targets from the brief: Hookline keeps half the bare route's throughput, twice its p99, half grammY's. */
export const GOALS = { rpsVsHono: 0.5, p99VsHono: 2, rpsVsGrammy: 0.5 } as const;

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function summarize(
  rounds: WindowResult[],
  target: { id: string; kind: "hookline" | "baseline"; describe: string },
): TargetSummary {
  return {
    target: target.id,
    kind: target.kind,
    describe: target.describe,
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuMsPerReq: median(rounds.map((r) => r.workerdCpuMsPerReq)),
    cores: median(rounds.map((r) => r.workerdCores)),
    otherCores: median(rounds.map((r) => r.otherCores)),
    rounds,
  };
}

export function judge(s: TargetSummary, hono: TargetSummary, grammy: TargetSummary): void {
  s.vsHono = { rps: s.rps / hono.rps, p99: s.p99 / hono.p99 };
  s.vsGrammy = { rps: s.rps / grammy.rps };
  s.verdict = {
    rpsVsHono: s.vsHono.rps >= GOALS.rpsVsHono,
    p99VsHono: s.vsHono.p99 <= GOALS.p99VsHono,
    rpsVsGrammy: s.vsGrammy.rps >= GOALS.rpsVsGrammy,
  };
}

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toString() : "–");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");
const mark = (ok: boolean | undefined) => (ok === undefined ? "" : ok ? "PASS" : "MISS");

/** Rows shared by the console table and the markdown table. */
export function tableRows(summaries: TargetSummary[]): string[][] {
  const header = [
    "target",
    "req/s",
    "p50 ms",
    "p99 ms",
    "workerd CPU ms/req",
    "req/s ÷ Hono",
    "p99 ÷ Hono",
    "req/s ÷ grammY",
    "≥0.5× Hono req/s",
    "≤2× Hono p99",
    "≥0.5× grammY req/s",
  ];
  const rows = summaries.map((s) => [
    s.target,
    f0(s.rps),
    f1(s.p50),
    f1(s.p99),
    f2(s.cpuMsPerReq),
    s.vsHono ? f2(s.vsHono.rps) : "",
    s.vsHono ? f2(s.vsHono.p99) : "",
    s.vsGrammy ? f2(s.vsGrammy.rps) : "",
    mark(s.verdict?.rpsVsHono),
    mark(s.verdict?.p99VsHono),
    mark(s.verdict?.rpsVsGrammy),
  ]);
  return [header, ...rows];
}

export function consoleTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) =>
        c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0),
      );
      return i === 0 ? `${line.join("  ")}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : line.join("  ");
    })
    .join("\n");
}

/**
 * A GitHub table, padded the way biome formats markdown, so the generated doc passes `npm run lint`.
 * `left` lists the left-aligned columns (default: the first); the others are right-aligned numbers.
 */
export function markdownTable(rows: string[][], left: number[] = [0]): string {
  const [header = [], ...body] = rows;
  const widths = header.map((_, c) => Math.max(3, ...rows.map((r) => (r[c] ?? "").length)));
  const isLeft = (c: number) => left.includes(c);
  const cell = (text: string, c: number) =>
    isLeft(c) ? text.padEnd(widths[c] ?? 0) : text.padStart(widths[c] ?? 0);
  const align = widths.map((w, c) => (isLeft(c) ? `:${"-".repeat(w - 1)}` : `${"-".repeat(w - 1)}:`));
  return [header.map(cell), align, ...body.map((r) => header.map((_, c) => cell(r[c] ?? "", c)))]
    .map((r) => `| ${r.join(" | ")} |`)
    .join("\n");
}

export const START = "<!-- ingress:start -->";
export const END = "<!-- ingress:end -->";

const DOC_HEADER = `# Benchmarks

Generated by \`npm run bench\`. Each bench owns one section between its own markers and rewrites only that
section, so several benches can share this file. Numbers come from a shared 2-core machine: absolute values
are noise, the ratios measured in the same run are what matter.
`;

/** Replaces (or appends) one bench's section of docs/benchmarks.md, between its markers. */
export function writeDocSection(path: string, section: string, start = START, end = END): void {
  const block = `${start}\n${section.trim()}\n${end}`;
  const current = existsSync(path) ? readFileSync(path, "utf8") : DOC_HEADER;
  const s = current.indexOf(start);
  const e = current.indexOf(end);
  const next =
    s >= 0 && e > s
      ? `${current.slice(0, s)}${block}${current.slice(e + end.length)}`
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}

/** Lets biome settle the generated markdown, so `npm run lint` stays clean; a missing biome is not an error. */
export function formatDoc(root: string, path: string): void {
  const biome = join(root, "node_modules", ".bin", "biome");
  if (existsSync(biome)) spawnSync(biome, ["format", "--write", path], { cwd: root, stdio: "ignore" });
}
