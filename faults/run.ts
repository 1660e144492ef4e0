/**
 * `npm run faults`: runs the fault scenarios in two CPU-pinned groups (`GROUPS`), prints one line per scenario
 * and writes docs/reliability.md (each scenario's section and the summary table). Exits 1 when any fails.
 *
 *   npm run faults                                   # every scenario
 *   npm run faults -- --only crash-node,chaos        # some of them
 *   npm run faults -- --soak-minutes 2 --no-write    # a shorter look that leaves the doc alone
 *   npm run faults -- --no-pin                       # the groups one after the other, unpinned
 *
 * Every scenario starts its own processes on 127.0.0.1 and stops them by their own process (group) id.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
 * How the run stays within 20 minutes on 2 cores: two groups at once, each pinned to a core of its own
 * (`taskset`), each running its scenarios one after another. The measured group judges latency and memory
 * (ack ratios against a healthy phase of the same run; p99 drift, RSS growth) and has its core to itself;
 * the counted group checks counts (accepted, lost, duplicated), which neighbours on the other core do not
 * change. Without `taskset` or a second core the groups run one after the other, unpinned.
 */
export const GROUPS: { name: string; cpu: number; scenarios: string[] }[] = [
  { name: "measured", cpu: 0, scenarios: ["outbound", "soak"] },
  {
    name: "counted",
    cpu: 1,
    scenarios: ["crash-workerd", "fuzz-verifiers", "hostile-http", "pg-outage", "chaos", "crash-node"],
  },
];

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    // Internal: run as one group's child process (results as JSON, no doc writes).
    group: { type: "boolean", default: false },
    "no-pin": { type: "boolean", default: false },
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

const OUT_DIR = join(ROOT, "faults-results");
const resultFile = (name: string) => join(OUT_DIR, `${name}.result.json`);

function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "?",
    memGb: Math.round(totalmem() / 2 ** 30),
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

function didNotFinish(s: Scenario, why: string, seconds: number): ScenarioResult {
  return {
    name: s.name,
    title: s.title,
    pass: false,
    counts: { injected: "(did not finish)", deliveries: 0, runs: 0, faults: 0, lost: 0, duplicated: 0 },
    rows: [],
    notes: [why],
    seconds,
  };
}

/** Runs scenarios one after another in this process, printing each one's rows and its PASS/FAIL line. */
async function runInProcess(list: Scenario[], after: (r: ScenarioResult) => void): Promise<void> {
  for (const s of list) {
    const log = (m: string) => console.log(`[${s.name}] ${m}`);
    const started = performance.now();
    let result: ScenarioResult;
    try {
      result = await s.run({ root: ROOT, outDir: OUT_DIR, log, args });
    } catch (err) {
      console.error(err);
      const why = `the scenario threw: ${(err as Error).message.split("\n")[0]}`;
      result = didNotFinish(s, why, (performance.now() - started) / 1000);
    }
    const width = Math.max(0, ...result.rows.map((r) => (r[0] ?? "").length));
    for (const [k, v] of result.rows) log(`  ${(k ?? "").padEnd(width)}  ${v}`);
    for (const n of result.notes) log(`  · ${n}`);
    console.log(line(result));
    after(result);
  }
}

/** This script again, pinned to one CPU, for one group's scenarios; resolves when it exits. */
function runPinned(cpu: number, list: Scenario[]): Promise<void> {
  // The caller's options go along, except the ones that pick scenarios.
  const passed: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--only" || a === "--skip") i++;
    else if (!a.startsWith("--only=") && !a.startsWith("--skip=")) passed.push(a);
  }
  const only = list.map((s) => s.name).join(",");
  const child = spawn(
    "taskset",
    [
      "-c",
      String(cpu),
      process.execPath,
      ...process.execArgv,
      import.meta.filename,
      ...passed,
      "--group",
      "--only",
      only,
    ],
    { stdio: "inherit" },
  );
  return new Promise((resolve) => child.on("exit", () => resolve()));
}

function canPin(): boolean {
  if (args["no-pin"] || cpus().length < 2) return false;
  return spawnSync("taskset", ["-c", "0", "true"]).status === 0;
}

async function main(): Promise<number> {
  const unknown = [...only, ...skip].filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length)
    throw new Error(`unknown scenario ${unknown.join(", ")}: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  const grouped = new Set(GROUPS.flatMap((g) => g.scenarios));
  const ungrouped = SCENARIOS.filter((s) => !grouped.has(s.name)).map((s) => s.name);
  if (ungrouped.length)
    throw new Error(`scenario(s) ${ungrouped.join(", ")} missing from GROUPS in faults/run.ts`);
  const chosen = SCENARIOS.filter((s) => (only.size === 0 || only.has(s.name)) && !skip.has(s.name));
  const byName = new Map(chosen.map((s) => [s.name, s]));
  const groups = GROUPS.map((g) => ({
    ...g,
    list: g.scenarios.map((n) => byName.get(n)).filter((s): s is Scenario => s !== undefined),
  })).filter((g) => g.list.length > 0);
  mkdirSync(OUT_DIR, { recursive: true });

  if (args.group) {
    // In the group's order (GROUPS), which --only does not carry.
    const order = GROUPS.flatMap((g) => g.scenarios);
    const inOrder = [...chosen].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    await runInProcess(inOrder, (r) => writeFileSync(resultFile(r.name), JSON.stringify(r)));
    return 0;
  }

  const source = describeSource(ROOT);
  const t0 = performance.now();
  const results: ScenarioResult[] = [];
  const record = (r: ScenarioResult) => {
    results.push(r);
    if (args["no-write"]) return;
    const doc = join(ROOT, "docs", "reliability.md");
    writeScenarioSection(ROOT, doc, {
      result: r,
      source,
      machine: machine(),
      date: new Date().toISOString(),
    });
  };
  if (groups.length > 1 && canPin()) {
    console.log(
      groups.map((g) => `faults: CPU ${g.cpu} runs ${g.list.map((s) => s.name).join(", ")}`).join("\n"),
    );
    for (const s of chosen) rmSync(resultFile(s.name), { force: true });
    await Promise.all(groups.map((g) => runPinned(g.cpu, g.list)));
    for (const s of chosen) {
      const file = resultFile(s.name);
      const r = existsSync(file)
        ? (JSON.parse(readFileSync(file, "utf8")) as ScenarioResult)
        : didNotFinish(s, "its process ended without a result", (performance.now() - t0) / 1000);
      record(r);
    }
  } else {
    for (const g of groups) await runInProcess(g.list, record);
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
