import { fuzzVerifiers, fuzzVerifiersSummary } from "./fuzz-verifiers.ts";
import { hostileHttp, hostileHttpSummary } from "./hostile-http.ts";
import type { Scenario, ScenarioOptions } from "./lib/scenario.ts";
import { outbound, outboundSummary } from "./outbound.ts";

const num = (o: ScenarioOptions, name: string, fallback: number) => {
  const v = o.args[name];
  return typeof v === "string" && v !== "" ? Number(v) : fallback;
};

/** Section 3b: ack latency while the Bot API hangs or refuses, the model server or Postgres hangs. */
export const outboundScenario: Scenario = {
  name: "outbound",
  title: "Outbound dependencies failing: ack latency and replies",
  async run(o) {
    const started = performance.now();
    const r = await outbound({
      root: o.root,
      outDir: o.outDir,
      rate: 10,
      phaseS: Math.max(5, num(o, "phase", 20)),
      chats: 500,
      recoverTimeoutS: 180,
      log: o.log,
    });
    const faulty = r.phases.filter((p) => p.name !== "healthy");
    const sum = (f: (p: (typeof r.phases)[number]) => number) => r.phases.reduce((n, p) => n + f(p), 0);
    return {
      name: "outbound",
      title: this.title,
      pass: r.pass,
      counts: {
        injected: "Bot API hang and refuse, model server hang, Postgres hang (one at a time)",
        deliveries: sum((p) => p.acked),
        runs: sum((p) => p.acked),
        faults: faulty.length,
        lost: sum((p) => p.lost),
        duplicated: sum((p) => p.duplicated) + r.lateDuplicates,
        why: r.pass
          ? undefined
          : "see the phases: ack p99 over 1.5× the healthy phase, or replies lost/duplicated",
      },
      rows: outboundSummary(r),
      notes: faulty
        .filter((p) => !p.pass)
        .map((p) => `${p.name}: p50 ×${p.ratioP50.toFixed(2)}, p99 ×${p.ratioP99.toFixed(2)}`),
      seconds: (performance.now() - started) / 1000,
    };
  },
};

/** Section 4: forged and mutated deliveries against every verifier (none may be accepted). */
export const fuzzScenario: Scenario = {
  name: "fuzz-verifiers",
  title: "Fuzzed senders: 100,000 forged deliveries per scheme",
  async run(o) {
    const started = performance.now();
    const r = await fuzzVerifiers({ perScheme: num(o, "fuzz-runs", 100_000), controls: 2_000, log: o.log });
    return {
      name: "fuzz-verifiers",
      title: this.title,
      pass: r.pass,
      counts: {
        injected: "forged and mutated signatures, headers, bodies, timestamps",
        deliveries: 0,
        runs: 0,
        faults: r.reports.reduce((n, x) => n + x.forged, 0),
        lost: 0,
        duplicated: 0,
      },
      rows: fuzzVerifiersSummary(r),
      notes: [],
      seconds: (performance.now() - started) / 1000,
    };
  },
};

/** Section 4: hostile HTTP against the running app, then a scan of everything it said for secrets. */
export const hostileScenario: Scenario = {
  name: "hostile-http",
  title: "Hostile HTTP: 10,000 requests, then a secret scan",
  async run(o) {
    const started = performance.now();
    const r = await hostileHttp({
      root: o.root,
      total: num(o, "hostile-requests", 10_000),
      concurrency: 16,
      log: o.log,
    });
    return {
      name: "hostile-http",
      title: this.title,
      pass: r.pass,
      counts: {
        injected: "oversized, chunked, slow, invalid UTF-8, deep JSON, prototype keys, bad types and methods",
        deliveries: r.accepted,
        runs: 0,
        faults: r.total,
        lost: 0,
        duplicated: 0,
        why: r.pass
          ? undefined
          : `${r.accepted} accepted, ${r.unexpected5xx} unexpected 5xx, ${r.secretScan.hits.length} secret hits`,
      },
      rows: hostileHttpSummary(r),
      notes: [...r.samples, ...r.secretScan.hits],
      seconds: (performance.now() - started) / 1000,
    };
  },
};
