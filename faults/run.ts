/**
 * `npm run faults`: fault scenarios against Hookline as users run it (wrangler dev: workerd, local queues and
 * Durable Objects) with real Postgres behind a WebSocket proxy this process controls. One scenario so far:
 *
 *   pg-outage  Postgres unreachable for 30 s during a burst of 1,000 runs; afterwards every event is in
 *              Postgres exactly once.
 *
 *   npm run faults                              # the full scenario (~3 min), writes docs/faults.md
 *   npm run faults -- --runs 200 --no-write     # a shorter look
 *
 * Exits 1 when an event is lost or duplicated (or a run, a delivery or a status is missing or wrong).
 */
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { describeSource } from "../bench/lib/scratch.ts";
import { fuzzVerifiers, fuzzVerifiersSummary } from "./fuzz-verifiers.ts";
import { hostileHttp, hostileHttpSummary } from "./hostile-http.ts";
import { writeDoc } from "./lib/doc.ts";
import { outbound, outboundSummary, writeOutboundDoc } from "./outbound.ts";
import { type PgOutageResult, pgOutage } from "./pg-outage.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "1000" },
    rate: { type: "string", default: "20" },
    "outage-at": { type: "string", default: "10" },
    outage: { type: "string", default: "30" },
    settle: { type: "string", default: "180" },
    "no-write": { type: "boolean", default: false },
    /** Which scenarios, comma-separated: pg-outage, outbound, fuzz-verifiers, hostile-http (default: all). */
    scenario: { type: "string", default: "pg-outage,outbound,fuzz-verifiers,hostile-http" },
    /** outbound: seconds of load per phase. */
    phase: { type: "string", default: "30" },
    "fuzz-runs": { type: "string", default: "100000" },
    "hostile-requests": { type: "string", default: "10000" },
  },
});
const log = (m: string) => console.log(`[faults] ${m}`);

function summary(r: PgOutageResult): string[][] {
  const n = (v: number) => String(v);
  const s = (v: number | null) => (v === null ? "never" : `${v.toFixed(1)} s`);
  return [
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

const machineNow = () => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "?",
  memGb: Math.round(totalmem() / 2 ** 30),
  loadavg: loadavg().map((l) => Number(l.toFixed(2))),
});

async function runOutbound(): Promise<number> {
  const result = await outbound({
    root: ROOT,
    rate: 10,
    phaseS: Math.max(5, Number(args.phase)),
    chats: 500,
    recoverTimeoutS: Math.max(30, Number(args.settle)),
    outDir: join(ROOT, "faults-results"),
    log,
  });
  const rows = outboundSummary(result);
  console.log(`\noutbound: ${result.pass ? "PASS" : "FAIL"} (late duplicates ${result.lateDuplicates})`);
  for (const r of rows)
    console.log(`  ${r.map((c, i) => (i === 0 ? c.padEnd(14) : c.padStart(12))).join("  ")}`);
  if (!args["no-write"]) {
    const path = join(ROOT, "docs", "faults.md");
    writeOutboundDoc(ROOT, path, { result, source: describeSource(ROOT), machine: machineNow() });
    log("wrote docs/faults.md (outbound)");
  }
  return result.pass ? 0 : 1;
}

const only = new Set(String(args.scenario).split(","));

/** Prints one scenario's rows, returns its exit code. */
function report(name: string, pass: boolean, rows: string[][]): number {
  const width = Math.max(...rows.map((r) => (r[0] as string).length));
  console.log(`\n${name}: ${pass ? "PASS" : "FAIL"}`);
  for (const [k, v] of rows) console.log(`  ${(k as string).padEnd(width)}  ${v}`);
  return pass ? 0 : 1;
}

async function main(): Promise<number> {
  let code = 0;
  if (only.has("pg-outage")) code |= await mainPgOutage();
  if (only.has("outbound")) code |= await runOutbound();
  if (only.has("fuzz-verifiers")) {
    const r = await fuzzVerifiers({ perScheme: Number(args["fuzz-runs"]), controls: 2_000, log });
    code |= report("fuzz-verifiers", r.pass, fuzzVerifiersSummary(r));
  }
  if (only.has("hostile-http")) {
    const r = await hostileHttp({
      root: ROOT,
      total: Number(args["hostile-requests"]),
      concurrency: 16,
      log,
    });
    code |= report("hostile-http", r.pass, hostileHttpSummary(r));
    for (const m of [...r.samples, ...r.secretScan.hits]) console.log(`  · ${m}`);
  }
  return code;
}

async function mainPgOutage(): Promise<number> {
  const source = describeSource(ROOT);
  const result = await pgOutage({
    root: ROOT,
    runs: Math.max(1, Number(args.runs)),
    rate: Math.max(1, Number(args.rate)),
    outageAtS: Math.max(0, Number(args["outage-at"])),
    outageS: Math.max(0, Number(args.outage)),
    settleTimeoutS: Math.max(10, Number(args.settle)),
    outDir: join(ROOT, "faults-results"),
    log,
  });
  const rows = summary(result);
  const width = Math.max(...rows.map((r) => (r[0] as string).length));
  console.log(`\npg-outage: ${result.pass ? "PASS" : "FAIL"}`);
  for (const [k, v] of rows) console.log(`  ${(k as string).padEnd(width)}  ${v}`);
  for (const m of result.samples) console.log(`  · ${m}`);
  if (!args["no-write"]) {
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "?",
      memGb: Math.round(totalmem() / 2 ** 30),
      loadavg: loadavg().map((l) => Number(l.toFixed(2))),
    };
    const path = join(ROOT, "docs", "faults.md");
    writeDoc(ROOT, path, { result, rows, source, machine });
    log(`wrote docs/faults.md`);
  }
  return result.pass ? 0 : 1;
}

process.exitCode = await main().catch((err) => {
  console.error(err);
  return 1;
});
