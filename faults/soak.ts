/**
 * Scenario soak: `--soak-minutes` (10) of mixed load (faults/lib/mix.ts) on wrangler dev at a fixed rate,
 * half of the capacity measured in the first seconds. Checks: p99 ack latency flat (the first window after
 * warm-up against the last), workerd's RSS growing < 10 % after warm-up, no error answers, no run failed, and
 * bounded handles (workerd's open file descriptors; Durable Object SQLite files counted against objects made).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAi } from "../test/servers/fake-openai.ts";
import { startFakeTelegram } from "../test/servers/fake-telegram.ts";
import { bareObjectGrowth } from "./do-memory-probe.ts";
import { type Delivery, mixOverlay, mixVars, Senders, settleTraces, TERMINAL } from "./lib/mix.ts";
import {
  num,
  prng,
  type Scenario,
  type ScenarioOptions,
  type ScenarioResult,
  sleep,
} from "./lib/scenario.ts";
import { startStack } from "./lib/stack.ts";

/** The workerd process of a process group (wrangler's child), by /proc. */
function workerdPid(pgid: number): number | null {
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && stat.includes("(workerd)")) return Number(e);
    } catch {
      // gone
    }
  }
  return null;
}

function sample(pid: number): { rssMb: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMb: rssKb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

function countFiles(dir: string, suffix: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(suffix)) n++;
    }
  };
  try {
    walk(dir);
  } catch {
    // not there yet
  }
  return n;
}

const p99 = (xs: number[]) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] ?? 0;
};

/** One `RSS/p99` pair per minute of the soak, to show a trend (or its absence) rather than two points. */
function series(
  samples: { at: number; rssMb: number }[],
  ds: { firstSentAt: number; requestMs?: number }[],
  s0: number,
  soakMs: number,
): string {
  const out: string[] = [];
  for (let m = 0; m * 60_000 < soakMs; m++) {
    const [from, to] = [m * 60_000, Math.min(soakMs, (m + 1) * 60_000)];
    const inMinute = samples.filter((x) => x.at >= from && x.at < to);
    const rss = inMinute.at(-1)?.rssMb;
    const lat = ds
      .filter((d) => d.firstSentAt - s0 >= from && d.firstSentAt - s0 < to && d.requestMs !== undefined)
      .map((d) => d.requestMs as number);
    out.push(`${rss === undefined ? "?" : rss.toFixed(0)}/${p99(lat).toFixed(0)}`);
  }
  return out.join(" ");
}

async function run(o: ScenarioOptions): Promise<ScenarioResult> {
  const t0 = performance.now();
  const minutes = Math.max(0.5, num(o.args, "soak-minutes", 10));
  const seed = num(o.args, "seed", Date.now() % 1_000_000);
  const rand = prng(seed);
  const [telegram, openai] = await Promise.all([startFakeTelegram(), startFakeOpenAi()]);
  const persist = mkdtempSync(join(tmpdir(), "hookline-soak-"));
  const vars = mixVars({ telegram: telegram.url, openai: openai.url });
  const stack = await startStack({
    root: o.root,
    envName: "faults",
    overlay: mixOverlay(10),
    vars,
    persistTo: persist,
  });
  const notes: string[] = [];
  /** The runs the deliveries' 2xx answers named, once each. */
  const runIdsOf = (ds: Delivery[]) => [
    ...new Set(ds.map((d) => d.acks[0]?.runId).filter((r): r is string => !!r)),
  ];
  /** Their traces, once each has ended or `ms` have passed. */
  const ended = (ds: Delivery[], ms: number) =>
    settleTraces(
      () => stack.url,
      runIdsOf(ds),
      ms,
      (t) => TERMINAL.has(t.status),
    );
  try {
    const pid = workerdPid(stack.pgid());
    if (!pid) throw new Error("no workerd process in wrangler's process group");
    // Capacity: 8 senders back to back for 10 s (a closed loop), acknowledged deliveries per second.
    const probe = new Senders(() => stack.url, rand, 0);
    const probeEnd = Date.now() + 10_000;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < probeEnd) {
          const d = probe.next();
          while (d.acks.length === 0 && Date.now() < probeEnd + 20_000) await sleep(5);
        }
      }),
    );
    const acked = probe.deliveries.filter((d) => d.acks.length);
    const ackCapacity = acked.length / 10;
    // End to end: the work behind those acks (streams, fan-outs through STEPS) has a lower ceiling than the
    // acks themselves. The probe's runs, all started within 10 s, done within how long?
    await probe.drain(60_000);
    const probeTraces = await ended(acked, 180_000);
    const doneS = (Date.now() - (probeEnd - 10_000)) / 1000;
    const runCapacity = [...probeTraces.values()].filter((t) => TERMINAL.has(t.status)).length / doneS;
    const capacity = Math.min(ackCapacity, runCapacity);
    const rate = Math.max(1, Math.round(capacity * 0.5 * 10) / 10);
    o.log(
      `capacity ≈ ${ackCapacity.toFixed(1)} acks/s, ${runCapacity.toFixed(1)} runs/s end to end (mixed); soaking at ${rate}/s for ${minutes} min`,
    );
    await sleep(5_000);

    const senders = new Senders(() => stack.url, rand, 0.05);
    const soakMs = minutes * 60_000;
    const warmupMs = Math.min(60_000, soakMs * 0.2);
    const windowMs = Math.min(60_000, (soakMs - warmupMs) / 4);
    const samples: { at: number; rssMb: number; fds: number }[] = [];
    const s0 = performance.now();
    const sampler = setInterval(() => {
      try {
        samples.push({ at: performance.now() - s0, ...sample(pid) });
      } catch {
        // workerd gone: the checks below notice
      }
    }, 5_000);
    let i = 0;
    while (performance.now() - s0 < soakMs) {
      senders.next();
      i++;
      const due = s0 + (i * 1000) / rate;
      await sleep(Math.max(0, due - performance.now()));
    }
    clearInterval(sampler);
    samples.push({ at: performance.now() - s0, ...sample(pid) });
    await senders.drain(120_000);
    const at = (d: { firstSentAt: number }) => d.firstSentAt - s0;
    const ds = senders.deliveries;
    const win = (from: number, to: number) =>
      ds
        .filter((d) => at(d) >= from && at(d) < to && d.requestMs !== undefined)
        .map((d) => d.requestMs as number);
    const first = win(warmupMs, warmupMs + windowMs);
    const last = win(soakMs - windowMs, soakMs);
    const [p99First, p99Last] = [p99(first), p99(last)];
    const flat = p99Last <= Math.max(p99First * 1.5, p99First + 100);
    const afterWarm = samples.find((s) => s.at >= warmupMs) ?? samples[0];
    const end = samples.at(-1);
    const rssGrowth = afterWarm && end ? (end.rssMb - afterWarm.rssMb) / afterWarm.rssMb : 0;
    const fdGrowth = afterWarm && end ? end.fds - afterWarm.fds : 0;
    const refusals = ds.reduce((s, d) => s + d.refusals, 0);
    const runIds = runIdsOf(ds);
    const traces = await ended(ds, 120_000);
    const byStatus: Record<string, number> = {};
    for (const t of traces.values()) {
      byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
      if (t.status !== "completed" && notes.length < 5)
        notes.push(`run ${t.runId}: ${t.status}: ${JSON.stringify(t.error).slice(0, 200)}`);
    }
    const completed = byStatus.completed ?? 0;
    const sqlite = countFiles(persist, ".sqlite");
    const objects = runIds.length + probe.deliveries.length;
    // RSS per object made after warm-up (objects are made at a steady rate: one SQLite file each), against a
    // Worker that only makes objects, at the same rate, in a fresh workerd of the same version (below).
    const madeAfterWarm = sqlite * ((soakMs - warmupMs) / soakMs);
    const perThousandMb =
      afterWarm && end ? ((end.rssMb - afterWarm.rssMb) / Math.max(1, madeAfterWarm)) * 1000 : 0;
    const errors = (stack.output().match(/✘|\[ERROR\]|Uncaught/g) ?? []).length;
    const pass =
      flat &&
      rssGrowth < 0.1 &&
      refusals === 0 &&
      completed === runIds.length &&
      errors === 0 &&
      fdGrowth <= 50;
    if (!flat) notes.push(`p99 ack latency grew from ${p99First.toFixed(0)} ms to ${p99Last.toFixed(0)} ms`);
    if (rssGrowth >= 0.1) notes.push(`workerd RSS grew ${(rssGrowth * 100).toFixed(1)} % after warm-up`);
    if (!pass) o.log(`wrangler output (tail):\n${stack.output().slice(-3000)}`);
    await stack.stop();
    const objectRate = sqlite / (soakMs / 1000);
    o.log(`baseline: a Worker that only makes Durable Objects, ${objectRate.toFixed(1)}/s for 120 s`);
    const bare = await bareObjectGrowth({ rate: objectRate, seconds: 120 });
    const ratio = perThousandMb / Math.max(0.01, bare.perThousandMb);
    notes.push(
      `workerd keeps memory for every object made, also in a Worker that does nothing else: ${bare.perThousandMb.toFixed(1)} MB per 1,000 objects (baseline, same run); Hookline ${perThousandMb.toFixed(1)} (×${ratio.toFixed(2)})`,
    );
    return {
      name: "soak",
      title: "Soak",
      pass,
      counts: {
        injected: `${minutes} min of mixed load at ${rate}/s (half the measured end-to-end capacity)`,
        deliveries: ds.filter((d) => d.acks.length).length,
        runs: runIds.length,
        faults: 0,
        lost: runIds.length - traces.size,
        duplicated: 0,
      },
      rows: [
        [
          "capacity measured (acks / runs end to end) / rate held",
          `${ackCapacity.toFixed(1)}/s / ${runCapacity.toFixed(1)}/s / ${(ds.length / (soakMs / 1000)).toFixed(1)}/s`,
        ],
        ["deliveries / runs", `${ds.length} / ${runIds.length}`],
        [
          "runs by status",
          Object.entries(byStatus)
            .map(([k, v]) => `${k} ${v}`)
            .join(", "),
        ],
        ["error answers (non-2xx or none) / errors logged", `${refusals} / ${errors}`],
        [
          `p99 ack latency, first / last ${(windowMs / 1000).toFixed(0)} s window after warm-up`,
          `${p99First.toFixed(0)} ms / ${p99Last.toFixed(0)} ms (${first.length} / ${last.length} requests)`,
        ],
        [
          "workerd RSS after warm-up / at the end",
          `${afterWarm?.rssMb.toFixed(0)} MB / ${end?.rssMb.toFixed(0)} MB (${(rssGrowth * 100).toFixed(1)} %)`,
        ],
        ["workerd open fds after warm-up / at the end", `${afterWarm?.fds} / ${end?.fds}`],
        ["workerd RSS MB / p99 ack ms, per minute", series(samples, ds, s0, soakMs)],
        ["Durable Object SQLite files / objects made", `${sqlite} / ≈${objects} runs and sessions`],
        [
          "workerd RSS per 1,000 objects made after warm-up: Hookline / bare object Worker (same run)",
          `${perThousandMb.toFixed(1)} MB / ${bare.perThousandMb.toFixed(1)} MB (×${ratio.toFixed(2)}; baseline ${bare.fromMb.toFixed(0)} → ${bare.toMb.toFixed(0)} MB over ${bare.made} objects)`,
        ],
      ],
      notes,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await stack.stop();
    await Promise.all([telegram.close(), openai.close()]);
    rmSync(persist, { recursive: true, force: true });
  }
}

export const soak: Scenario = { name: "soak", title: "Soak", run };
