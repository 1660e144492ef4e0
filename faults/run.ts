/**
 * `npm run faults`: runs the fault scenarios one after another, prints one line per scenario and writes
 * docs/reliability.md (each scenario's section and the summary table). Exits 1 when any scenario fails.
 *
 *   npm run faults                                   # every scenario
 *   npm run faults -- --only crash-node,chaos        # some of them
 *   npm run faults -- --soak-minutes 2 --no-write    # a shorter look that leaves the doc alone
 *
 * Every scenario starts its own processes on 127.0.0.1 and stops them by their own process (group) id.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { describeSource } from "../bench/lib/scratch.ts";
import { chaos } from "./chaos.ts";
import { crashNode, crashWorkerd } from "./crash.ts";
import { fuzzScenario, hostileScenario, outboundScenario } from "./extra-scenarios.ts";
import { writeScenarioSection } from "./lib/doc.ts";
import type { Scenario, ScenarioResult } from "./lib/scenario.ts";
import { scenario as pgOutage } from "./pg-outage.ts";
import { soak } from "./soak.ts";

/** The scenarios, in the order they are listed (and run within their stage). */
export const SCENARIOS: Scenario[] = [
  fuzzScenario,
  hostileScenario,
  pgOutage,
  chaos,
  outboundScenario,
  crashNode,
  crashWorkerd,
  soak,
];

/**
 * How the run is staged to stay within 20 minutes on 2 cores. Stage 1 runs three lanes at once: the scenarios
 * in it check counts (lost, duplicated, accepted), not latency, and the fuzz is pure CPU in a child process
 * at a lower priority. Stages 2 and 3 measure latency (ack ratios against a healthy phase; p99 drift, RSS) and
 * run alone. Within a lane, scenarios run one after another.
 */
export const STAGES: string[][][] = [
  [["fuzz-verifiers"], ["hostile-http", "pg-outage", "chaos"], ["crash-node", "crash-workerd"]],
  [["outbound"]],
  [["soak"]],
];

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    skip: { type: "string" },
    "no-write": { type: "boolean", default: false },
    seed: { type: "string" },
    // pg-outage
    runs: { type: "string" },
    rate: { type: "string" },
    "outage-at": { type: "string" },
    outage: { type: "string" },
    settle: { type: "string" },
    // crash-node / crash-workerd
    kills: { type: "string" },
    // chaos
    "chaos-runs": { type: "string" },
    // soak
    "soak-minutes": { type: "string" },
    // outbound: seconds of load per phase
    phase: { type: "string" },
    // fuzz-verifiers, hostile-http
    "fuzz-runs": { type: "string" },
    "hostile-requests": { type: "string" },
  },
});
const names = (s: string | undefined) => new Set((s ?? "").split(",").filter(Boolean));
const only = names(args.only);
const skip = names(args.skip);

function line(r: ScenarioResult): string {
  const c = r.counts;
  return `${r.pass ? "PASS" : "FAIL"} ${r.name.padEnd(14)} deliveries ${c.deliveries}, runs ${c.runs}, faults ${c.faults}, lost ${c.lost}, duplicated ${c.duplicated} (${Math.round(r.seconds)} s)`;
}

async function main(): Promise<number> {
  const unknown = [...only, ...skip].filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length)
    throw new Error(`unknown scenario ${unknown.join(", ")}: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  const staged = new Set(STAGES.flat(2));
  const unstaged = SCENARIOS.filter((s) => !staged.has(s.name)).map((s) => s.name);
  if (unstaged.length)
    throw new Error(`scenario(s) ${unstaged.join(", ")} missing from STAGES in faults/run.ts`);
  const chosen = SCENARIOS.filter((s) => (only.size === 0 || only.has(s.name)) && !skip.has(s.name));
  const source = describeSource(ROOT);
  const results: ScenarioResult[] = [];
  const t0 = performance.now();
  const runOne = async (s: Scenario) => {
    const log = (m: string) => console.log(`[${s.name}] ${m}`);
    let result: ScenarioResult;
    const started = performance.now();
    try {
      result = await s.run({ root: ROOT, outDir: join(ROOT, "faults-results"), log, args });
    } catch (err) {
      console.error(err);
      result = {
        name: s.name,
        title: s.title,
        pass: false,
        counts: { injected: "(did not finish)", deliveries: 0, runs: 0, faults: 0, lost: 0, duplicated: 0 },
        rows: [],
        notes: [`the scenario threw: ${(err as Error).message.split("\n")[0]}`],
        seconds: (performance.now() - started) / 1000,
      };
    }
    results.push(result);
    const width = Math.max(0, ...result.rows.map((r) => (r[0] ?? "").length));
    for (const [k, v] of result.rows) log(`  ${(k ?? "").padEnd(width)}  ${v}`);
    for (const n of result.notes) log(`  · ${n}`);
    console.log(line(result));
    if (!args["no-write"]) {
      const machine = {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "?",
        memGb: Math.round(totalmem() / 2 ** 30),
        loadavg: loadavg().map((l) => Number(l.toFixed(2))),
      };
      const path = join(ROOT, "docs", "reliability.md");
      writeScenarioSection(ROOT, path, { result, source, machine, date: new Date().toISOString() });
    }
  };
  const byName = new Map(chosen.map((s) => [s.name, s]));
  for (const stage of STAGES) {
    await Promise.all(
      stage.map(async (lane) => {
        for (const name of lane) {
          const s = byName.get(name);
          if (s) await runOne(s);
        }
      }),
    );
  }
  console.log(`\nfaults: ${results.length} scenario(s) in ${Math.round((performance.now() - t0) / 1000)} s`);
  for (const r of results) console.log(line(r));
  return results.every((r) => r.pass) ? 0 : 1;
}

// Exit even if a failed scenario left a timer or socket behind: every process it started is already stopped.
process.exit(
  await main().catch((err) => {
    console.error(err);
    return 1;
  }),
);
