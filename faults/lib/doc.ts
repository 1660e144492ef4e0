/**
 * docs/reliability.md: each scenario owns the section between its own markers (its last run), and the summary
 * table at the top is rebuilt from the one-line summaries every section keeps in a comment, so a run of
 * one scenario (`--only`) leaves the others' numbers alone. The rest of the file is hand-written.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { formatDoc, markdownTable, writeDocSection } from "../../bench/lib/report.ts";
import type { ScenarioCounts, ScenarioResult } from "./scenario.ts";

const SUMMARY_START = "<!-- summary:start -->";
const SUMMARY_END = "<!-- summary:end -->";
const COUNTS = /<!-- counts (\S+) (.*?) -->/g;

export interface Machine {
  cpus: number;
  cpuModel: string;
  memGb: number;
  loadavg: number[];
}

export interface DocInput {
  result: ScenarioResult;
  source: { ref: string; commit: string; dirty: boolean };
  machine: Machine;
  date: string;
}

export function writeScenarioSection(root: string, path: string, d: DocInput): void {
  if (!existsSync(path)) writeFileSync(path, `# Reliability\n\n${SUMMARY_START}\n${SUMMARY_END}\n`);
  const r = d.result;
  const code = `${d.source.ref} at ${d.source.commit.slice(0, 10)}${d.source.dirty ? " with uncommitted changes" : ""}`;
  const m = d.machine;
  const counts = { ...r.counts, pass: r.pass, seconds: Math.round(r.seconds) };
  const section = `<!-- counts ${r.name} ${JSON.stringify(counts)} -->

### Last run: ${r.pass ? "PASS" : "FAIL"}

_${d.date} · ${code} · ${Math.round(r.seconds)} s · ${m.cpus} cores (${m.cpuModel}), ${m.memGb} GB, shared; load average at the end ${m.loadavg.join(" / ")}_

${markdownTable([["", "value"], ...r.rows])}
${r.notes.length ? `\nFindings of this run:\n\n${r.notes.map((s) => `- ${s.includes("`") ? s : `\`${s}\``}`).join("\n")}\n` : ""}`;
  writeDocSection(path, section, `<!-- ${r.name}:start -->`, `<!-- ${r.name}:end -->`);
  rebuildSummary(path);
  formatDoc(root, path);
}

/** The summary table from every section's `counts` comment, in the order the sections appear. */
export function rebuildSummary(path: string): void {
  const text = readFileSync(path, "utf8");
  const rows: string[][] = [
    ["scenario", "result", "injected", "deliveries", "runs", "faults", "lost", "duplicated", "time"],
  ];
  for (const m of text.matchAll(COUNTS)) {
    const c = JSON.parse(m[2] ?? "{}") as ScenarioCounts & { pass: boolean; seconds: number };
    const withWhy = (v: number) => (v && c.why ? `${v} (${c.why})` : String(v));
    rows.push([
      m[1] ?? "?",
      c.pass ? "PASS" : "FAIL",
      c.injected,
      String(c.deliveries),
      String(c.runs),
      String(c.faults),
      withWhy(c.lost),
      withWhy(c.duplicated),
      `${c.seconds} s`,
    ]);
  }
  writeDocSection(path, markdownTable(rows, [0, 1, 2]), SUMMARY_START, SUMMARY_END);
}
