/** The pg-outage section of docs/faults.md: this run's numbers, between markers (the rest is hand-written). */
import { existsSync, writeFileSync } from "node:fs";
import { formatDoc, markdownTable, writeDocSection } from "../../bench/lib/report.ts";
import type { PgOutageResult } from "../pg-outage.ts";

const START = "<!-- pg-outage:start -->";
const END = "<!-- pg-outage:end -->";

export interface DocInput {
  result: PgOutageResult;
  rows: string[][];
  source: { ref: string; commit: string; dirty: boolean };
  machine: { cpus: number; cpuModel: string; memGb: number; loadavg: number[] };
}

export function writeDoc(root: string, path: string, d: DocInput): void {
  if (!existsSync(path)) writeFileSync(path, `# Fault scenarios\n\n${START}\n${END}\n`);
  const r = d.result;
  const o = r.options;
  const code = `${d.source.ref} at ${d.source.commit.slice(0, 10)}${d.source.dirty ? " with uncommitted changes" : ""}`;
  const m = d.machine;
  const section = `### Last run: ${r.pass ? "PASS" : "FAIL"}

_${r.date} · ${code}_

**Machine.** ${m.cpus} cores (${m.cpuModel}), ${m.memGb} GB, shared with other work; load average at the end
${m.loadavg.join(" / ")}.

**This run.** ${r.sent} deliveries, ${o.rate}/s asked, ${(r.sent / r.burstS).toFixed(1)}/s held (${r.burstS.toFixed(1)} s); the
proxy was down from ${r.outage.startS.toFixed(1)} s to ${r.outage.endS.toFixed(1)} s into the burst.

${markdownTable([["", "value"], ...d.rows])}
${r.samples.length ? `\nFirst findings:\n\n${r.samples.map((s) => `- \`${s}\``).join("\n")}\n` : ""}`;
  writeDocSection(path, section, START, END);
  formatDoc(root, path);
}
