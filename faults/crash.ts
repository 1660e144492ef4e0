/**
 * Scenarios crash-node and crash-workerd: SIGKILL at random moments under steady mixed load.
 *
 * The runtime keeps its state in a directory (`hookline serve --data-dir`, or `wrangler dev --persist-to`).
 * Chats stream from a fake OpenAI into a fake Telegram, orders arrive signed with Standard Webhooks, fan-outs
 * go through STEPS and waits hold timers (faults/lib/mix.ts). The whole process group is killed with SIGKILL
 * `--kills` times (20) at random moments and started again on the same directory. Senders retry every
 * delivery (same id, re-signed) until a 2xx. Afterwards: every delivery with a 2xx has exactly one run, every
 * run is terminal, no step result applied twice, one reply per reply step at the fake Bot API, and the admin
 * index lists every acknowledged delivery once and every run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAi } from "../test/servers/fake-openai.ts";
import { startFakeTelegram } from "../test/servers/fake-telegram.ts";
import { freshDatabase } from "./lib/database.ts";
import {
  checkMix,
  type MixCheck,
  mixOverlay,
  mixRows,
  mixVars,
  Senders,
  type StepPolicy,
} from "./lib/mix.ts";
import { startNodeHost } from "./lib/node-host.ts";
import {
  num,
  prng,
  type Scenario,
  type ScenarioOptions,
  type ScenarioResult,
  sleep,
} from "./lib/scenario.ts";
import { startStack } from "./lib/stack.ts";

interface Host {
  url: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

interface CrashPlan {
  name: string;
  title: string;
  /** Deliveries per second while the kills go on. */
  rate: number;
  /** Seconds the process is up before the next kill: uniform in [min, max]. */
  upS: [number, number];
  streamMs: number;
  /** The llm steps' timeout and retries: a run waits one timeout for an attempt whose STEPS message a kill lost. */
  stepPolicy?: StepPolicy;
  start(o: ScenarioOptions, vars: Record<string, string>, overlay: unknown, persist: string): Promise<Host>;
  /**
   * History in Postgres (a fresh database of this name): GET /runs and GET /admin/deliveries then read it, so
   * the checks compare history with the ledgers. Without it they compare the Durable Object index.
   */
  historyDb?: string;
  /** The local queue broker loses messages in flight on a kill (wrangler dev), so the run index may lag for good. */
  localQueueLoss?: boolean;
}

export function crashSummary(c: MixCheck) {
  const why: string[] = [];
  const lost = c.withoutRun + c.tracesMissing + c.repliesMissing + c.indexMissing + c.runIndexMissing;
  const duplicated = c.twoRuns + c.appliedTwice + c.repliesDuplicated + c.indexDuplicated + c.runIndexExtra;
  if (c.runStatusDiffers)
    why.push(`${c.runStatusDiffers} runs listed with a status their trace does not have`);
  if (c.withoutRun) why.push(`${c.withoutRun} 2xx without a run`);
  if (c.tracesMissing) why.push(`${c.tracesMissing} runs without a trace`);
  if (c.repliesMissing) why.push(`${c.repliesMissing} replies never sent`);
  if (c.indexMissing) why.push(`${c.indexMissing} deliveries missing from the index`);
  if (c.runIndexMissing) why.push(`${c.runIndexMissing} runs missing from GET /runs`);
  if (c.twoRuns) why.push(`${c.twoRuns} deliveries with two runs`);
  if (c.appliedTwice) why.push(`${c.appliedTwice} steps applied twice`);
  if (c.repliesDuplicated) {
    const atKill = c.repliesTwiceAcrossKill;
    why.push(
      `${c.repliesDuplicated} replies sent twice${atKill ? ` (${atKill === c.repliesDuplicated ? "each" : atKill} in flight at a kill)` : ""}`,
    );
  }
  if (c.indexDuplicated) why.push(`${c.indexDuplicated} deliveries listed twice`);
  if (c.runIndexExtra) why.push(`${c.runIndexExtra} unexpected runs listed`);
  return { lost, duplicated, why: why.join("; ") };
}

async function crash(plan: CrashPlan, o: ScenarioOptions): Promise<ScenarioResult> {
  const t0 = performance.now();
  const kills = Math.max(1, num(o.args, "kills", 20));
  const seed = num(o.args, "seed", Date.now() % 1_000_000);
  const rand = prng(seed);
  const [telegram, openai] = await Promise.all([startFakeTelegram(), startFakeOpenAi()]);
  const persist = mkdtempSync(join(tmpdir(), `hookline-${plan.name}-`));
  let host: Host | undefined;
  let senders: Senders | undefined;
  let loading = true;
  const notes: string[] = [];
  try {
    const vars = mixVars({ telegram: telegram.url, openai: openai.url });
    if (plan.historyDb) {
      vars.DATABASE_URL = await freshDatabase(plan.historyDb);
      o.log(`history on: a fresh database ${plan.historyDb}`);
    }
    host = await plan.start(o, vars, mixOverlay(plan.streamMs, plan.stepPolicy), persist);
    const h = host;
    const s = new Senders(() => h.url, rand);
    senders = s;
    const generator = (async () => {
      while (loading) {
        s.next();
        await sleep((1000 / plan.rate) * (0.5 + rand()));
      }
    })();
    const restartMs: number[] = [];
    const killTimes: number[] = [];
    for (let i = 0; i < kills; i++) {
      await sleep((plan.upS[0] + rand() * (plan.upS[1] - plan.upS[0])) * 1000);
      killTimes.push(Date.now());
      await h.kill();
      await sleep(rand() * 500);
      const r0 = performance.now();
      await h.restart();
      restartMs.push(performance.now() - r0);
      o.log(
        `kill ${i + 1}/${kills}: back after ${Math.round(restartMs.at(-1) ?? 0)} ms; ${s.deliveries.length} deliveries so far, ${s.pending} unanswered`,
      );
    }
    loading = false;
    await generator;
    const loadS = (performance.now() - t0) / 1000;
    const drained = await s.drain(180_000);
    if (!drained) notes.push(`${s.pending} deliveries never got a 2xx within 180 s after the last restart`);
    const c = await checkMix(() => h.url, s, telegram, {
      settleMs: 180_000,
      indexWaitMs: 60_000,
      killTimes,
    });
    const known: string[] = [];
    const localLoss = plan.localQueueLoss ? c.runIndexMissing : 0;
    if (plan.localQueueLoss && c.runIndexMissing > 0) {
      known.push(
        `${c.runIndexMissing} runs missing from GET /runs: their EVENTS messages were in local Miniflare's in-memory queue when it was killed (not injectable as a Hookline fault here; see "Could not be injected here")`,
      );
      c.failures = c.failures.filter((f) => !f.includes("missing from GET /runs"));
      c.runIndexMissing = 0;
    }
    if (plan.localQueueLoss && c.runStatusStale > 0) {
      // The same loss, for a run whose later events (its end) were in the queue: the index keeps a status from
      // before the run ended. A different end (completed listed as failed) is not explained by it, and counts.
      known.push(
        `${c.runStatusStale} runs listed by GET /runs as not yet ended while their trace has ended: their last EVENTS messages were in local Miniflare's in-memory queue when it was killed (as above)`,
      );
      c.runStatusDiffers -= c.runStatusStale;
      if (c.runStatusDiffers === 0)
        c.failures = c.failures.filter((f) => !f.includes("with a status their trace does not have"));
    }
    // A reply the Bot API received just before a kill, sent again after the restart: the process died between
    // the send and recording its answer, and sendMessage has no idempotency key, so "twice" or "never" are
    // the only choices for that send (the outbox chooses twice). Counted and reported; not a failure. A copy
    // sent again without a kill in between, or long after the copy before, still fails.
    const inFlightAtKill = c.repliesTwiceAcrossKill;
    if (inFlightAtKill > 0) {
      known.push(
        `${inFlightAtKill} replies sent twice, each again after a kill that came ${Math.min(...c.replyKillGapsMs)}–${Math.max(...c.replyKillGapsMs)} ms after the Bot API received the copy before: the send-then-record window (sendMessage has no idempotency key)`,
      );
      c.failures = c.failures.filter((f) => !f.includes("follows a kill that came while the copy before"));
    }
    mkdirSync(o.outDir, { recursive: true });
    writeFileSync(
      join(o.outDir, `${plan.name}-suspicious.json`),
      JSON.stringify(c.suspicious.slice(0, 20), null, 1),
    );
    writeFileSync(join(o.outDir, `${plan.name}-output.log`), h.output());
    const { lost, duplicated, why } = crashSummary(c);
    // Completed, or failed by a dead letter (the kills used up a step message's deliveries) and completed
    // again on POST /runs/:id/retry: the dead letter is the designed end of a message that cannot be
    // delivered, and the retry is the operator's way back (checked in checkMix).
    const allCompleted = (c.byStatus.completed ?? 0) + c.retriedCompleted === c.runs;
    const pass =
      drained &&
      c.acked === c.deliveries &&
      lost === 0 &&
      duplicated - inFlightAtKill === 0 &&
      c.runStatusDiffers === 0 &&
      allCompleted &&
      c.indexSeenTooLow === 0;
    notes.push(...known, ...c.failures.slice(0, 12));
    if (!pass) o.log(`output (tail):\n${h.output().slice(-3000)}`);
    const avg = restartMs.reduce((s, v) => s + v, 0) / restartMs.length;
    return {
      name: plan.name,
      title: plan.title,
      pass,
      counts: {
        injected: `SIGKILL of the process group ×${kills}, restart on the same state`,
        deliveries: c.acked,
        runs: c.runs,
        faults: kills,
        lost,
        duplicated,
        ...(why ? { why } : {}),
      },
      rows: [
        ["kills / seed", `${kills} / ${seed}`],
        [
          "load",
          `${plan.rate}/s for ${loadS.toFixed(0)} s; up ${plan.upS[0]}–${plan.upS[1]} s between kills`,
        ],
        ["restart to /health (mean / max)", `${avg.toFixed(0)} ms / ${Math.max(...restartMs).toFixed(0)} ms`],
        ...mixRows(c),
        ["Bot API calls / OpenAI requests", `${telegram.calls.length} / ${openai.requests.length}`],
        ...(plan.localQueueLoss
          ? [["runs missing from GET /runs (local queue lost EVENTS)", String(localLoss)]]
          : []),
      ],
      notes,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    loading = false;
    senders?.stop();
    await host?.stop();
    await Promise.all([telegram.close(), openai.close()]);
    rmSync(persist, { recursive: true, force: true });
  }
}

const nodePlan: CrashPlan = {
  name: "crash-node",
  title: "Crash and restart (Node adapter)",
  rate: 8,
  upS: [1.5, 4],
  streamMs: 10,
  historyDb: "hookline_faults_crash",
  start: async (o, vars, overlay) => {
    const h = await startNodeHost({ root: o.root, envName: "faults", overlay, vars, leaseMs: 1000 });
    return h;
  },
};

const workerdPlan: CrashPlan = {
  name: "crash-workerd",
  title: "Crash and restart (wrangler dev / workerd)",
  rate: 4,
  upS: [1.5, 3.5],
  streamMs: 10,
  // Local Miniflare loses the STEPS messages in its memory at each kill (every 8–10 s here), a retry sent right
  // after a restart included; the step-timeout timer then retries the attempt. With the product's defaults
  // (2 min, 3 attempts) a run caught by three kills in a row fails, or is still waiting at the end. More
  // attempts outlast the 3-minute kill storm. With 15 s, attempts after the storm started about one timeout
  // after they were enqueued and were given up as they started (see docs/reliability.md, open finding).
  stepPolicy: { timeout: "45s", retry: { maxAttempts: 20, backoff: { initialMs: 500, maxMs: 5_000 } } },
  start: (o, vars, overlay, persist) =>
    startStack({ root: o.root, envName: "faults", overlay, vars, persistTo: persist }),
  // Local Miniflare keeps queue messages in memory (see docs/reliability.md): EVENTS in flight at a kill are
  // gone, so the run index (fed by EVENTS) may miss runs. Cloudflare Queues persist a message before send()
  // resolves, so this is a property of the local broker, reported here and not counted as Hookline's loss.
  localQueueLoss: true,
};

export const crashNode: Scenario = {
  name: nodePlan.name,
  title: nodePlan.title,
  run: (o) => crash(nodePlan, o),
};
export const crashWorkerd: Scenario = {
  name: workerdPlan.name,
  title: workerdPlan.title,
  run: (o) => crash(workerdPlan, o),
};
