/**
 * Scenario chaos: the STEPS consumer misbehaves (src/queue/chaos.ts, switched on by HOOKLINE_CHAOS, which
 * only the test and faults environments honour). On the Node adapter (`hookline serve --env faults`), fan-out
 * runs (5 llm steps each through STEPS) meet: batches that throw, batches killed mid-way after their steps
 * reported (acks lost), messages that hang and fail, duplicated messages, batches handled out of order, and
 * poisoned attempts that fail every delivery. Afterwards: every completed run applied each step once, the
 * dead-letter queue received only attempts that failed all 4 deliveries, each such run failed with the reason
 * recorded, and after the fix (chaos off, restart) the sender's replay and a new delivery behave.
 */
import { startFakeOpenAi } from "../test/servers/fake-openai.ts";
import { startFakeTelegram } from "../test/servers/fake-telegram.ts";
import { mixOverlay, mixVars, Senders, settleTraces, TERMINAL, type Trace } from "./lib/mix.ts";
import { startNodeHost } from "./lib/node-host.ts";
import {
  num,
  prng,
  type Scenario,
  type ScenarioOptions,
  type ScenarioResult,
  sleep,
} from "./lib/scenario.ts";

const CHAOS = "throw=0.1,kill=0.1,timeout=0.05,timeoutMs=1500,dup=0.15,reorder=1,poison=0.02";
/** wrangler.toml's max_retries for STEPS (3), plus the first delivery. */
const DELIVERIES = 4;

async function run(o: ScenarioOptions): Promise<ScenarioResult> {
  const t0 = performance.now();
  const seed = num(o.args, "seed", Date.now() % 1_000_000);
  const runsWanted = Math.max(10, num(o.args, "chaos-runs", 150));
  const rand = prng(seed);
  const [telegram, openai] = await Promise.all([startFakeTelegram(), startFakeOpenAi()]);
  const notes: string[] = [];
  const vars = { ...mixVars({ telegram: telegram.url, openai: openai.url }), HOOKLINE_CHAOS: CHAOS };
  const host = await startNodeHost({ root: o.root, envName: "faults", overlay: mixOverlay(10), vars });
  try {
    const senders = new Senders(() => host.url, rand, 0);
    for (let i = 0; i < runsWanted; i++) {
      senders.start("fanout");
      await sleep(100);
    }
    await senders.drain(60_000);
    const runOf = new Map(senders.deliveries.map((d) => [d.acks[0]?.runId ?? "", d]));
    runOf.delete("");
    const traces = await settleTraces(
      () => host.url,
      [...runOf.keys()],
      240_000,
      (t) => TERMINAL.has(t.status),
    );

    // What the consumer injected, from its `chaos: …` lines: failed deliveries per message copy
    // (`run/attempt@message`; a duplicate is a copy with deliveries of its own, as the queue counts them).
    const failedDeliveries = new Map<string, number>();
    const counts = { throw: 0, kill: 0, timeout: 0, dup: 0, poison: 0 };
    for (const line of host.output().split("\n")) {
      const m = /chaos: (throw|kill|timeout|dup|poison) ?(.*)$/.exec(line);
      if (!m) continue;
      const kind = m[1] as keyof typeof counts;
      counts[kind]++;
      if (kind === "throw" || kind === "timeout" || kind === "poison")
        for (const a of (m[2] ?? "").split(" ").filter(Boolean))
          failedDeliveries.set(a, (failedDeliveries.get(a) ?? 0) + 1);
    }
    const exhausted = new Set([...failedDeliveries].filter(([, n]) => n >= DELIVERIES).map(([a]) => a));

    let appliedTwice = 0;
    let ignored = 0;
    let notTerminal = 0;
    let failedWithReason = 0;
    let failedWrongly = 0;
    let completed = 0;
    const failedRuns: Trace[] = [];
    for (const [id] of runOf) {
      const t = traces.get(id);
      if (!t || !TERMINAL.has(t.status)) {
        notTerminal++;
        notes.push(`run ${id}: ${t?.status ?? "no trace"}`);
        continue;
      }
      ignored += t.ignoredResults;
      const ok = new Map<string, number>();
      for (const s of t.steps) {
        if (s.mode !== "pure" && s.status === "succeeded") {
          const key = s.attemptId.replace(/#\d+$/, "");
          ok.set(key, (ok.get(key) ?? 0) + 1);
        }
      }
      for (const [key, n] of ok) {
        if (n > 1) {
          appliedTwice++;
          notes.push(`run ${id}: ${key} succeeded ${n} times`);
        }
      }
      if (t.status === "completed") completed++;
      else {
        failedRuns.push(t);
        const reason = JSON.stringify(t.error);
        // The dead-letter consumer's reason names the step and the deliveries; the attempt must have failed all.
        const dead = [...exhausted].some((a) => a.startsWith(`${id}/`));
        if (/was not completed: its STEPS message used up its deliveries/.test(reason) && dead)
          failedWithReason++;
        else {
          failedWrongly++;
          notes.push(`run ${id}: ${t.status} ${reason.slice(0, 200)} (exhausted attempt: ${dead})`);
        }
      }
    }
    // Runs that should have failed (a message of one of their attempts exhausted its deliveries) but completed.
    // Not when that step succeeded all the same: through another copy of the message (a duplicate), or by a
    // later attempt after the engine gave up on this one (its timeout); the dead letter of the exhausted copy
    // then finds nothing waiting for it and changes nothing, as it should.
    const shouldHaveFailed = [
      ...new Set(
        [...exhausted]
          .filter((token) => {
            const [run, rest] = token.split("/") as [string, string];
            const step = (rest.split("@")[0] ?? "").replace(/#\d+$/, "");
            const t = traces.get(run);
            return !t?.steps.some(
              (s) => s.attemptId.replace(/#\d+$/, "") === step && s.status === "succeeded",
            );
          })
          .map((token) => token.split("/")[0]),
      ),
    ].filter((id) => traces.get(id as string)?.status === "completed").length;

    // The fix: chaos off, restart on the same data. The sender's replay of a failed run's delivery is a
    // duplicate naming that run (no second run); the same payload under a new id completes.
    delete host.vars.HOOKLINE_CHAOS;
    await host.kill();
    await host.restart();
    let replayDuplicates = 0;
    let replayCompleted = 0;
    const fixed = new Senders(() => host.url, rand, 0);
    for (const t of failedRuns) {
      const d = runOf.get(t.runId);
      if (!d) continue;
      const again = await fetchAgain(host.url, d.id);
      if (again.status === "duplicate" && again.runId === t.runId) replayDuplicates++;
      fixed.start("fanout");
    }
    await fixed.drain(30_000);
    const fresh = fixed.deliveries.map((d) => d.acks[0]?.runId ?? "").filter(Boolean);
    const after = await settleTraces(
      () => host.url,
      fresh,
      60_000,
      (t) => TERMINAL.has(t.status),
    );
    for (const id of fresh) if (after.get(id)?.status === "completed") replayCompleted++;

    const faults = counts.throw + counts.kill + counts.timeout + counts.dup + counts.poison;
    const pass =
      notTerminal === 0 &&
      appliedTwice === 0 &&
      failedWrongly === 0 &&
      shouldHaveFailed === 0 &&
      failedWithReason === failedRuns.length &&
      replayDuplicates === failedRuns.length &&
      replayCompleted === failedRuns.length &&
      counts.throw + counts.kill + counts.dup > 0;
    if (!pass) o.log(`output (tail):\n${host.output().slice(-3000)}`);
    return {
      name: "chaos",
      title: "Queue chaos (STEPS consumer)",
      pass,
      counts: {
        injected: "STEPS consumer throws, dies mid-batch, hangs; duplicates, reorders, poison",
        deliveries: senders.deliveries.filter((d) => d.acks.length).length,
        runs: runOf.size,
        faults,
        lost: notTerminal,
        duplicated: appliedTwice,
        ...(notTerminal || appliedTwice ? { why: "see the checks below" } : {}),
      },
      rows: [
        ["seed / HOOKLINE_CHAOS", `${seed} / \`${CHAOS}\``],
        ["fan-out runs (5 queued llm steps each)", String(runOf.size)],
        [
          "injected: throw / kill mid-batch / timeout / dup / poison",
          `${counts.throw} / ${counts.kill} / ${counts.timeout} / ${counts.dup} / ${counts.poison}`,
        ],
        ["attempt messages that failed all 4 deliveries", String(exhausted.size)],
        [
          "runs completed / failed by a dead letter / not terminal",
          `${completed} / ${failedRuns.length} / ${notTerminal}`,
        ],
        ["failed runs with the reason recorded", `${failedWithReason} of ${failedRuns.length}`],
        ["dead letters for attempts that had not exhausted retries", String(failedWrongly)],
        ["exhausted attempts whose run completed anyway", String(shouldHaveFailed)],
        ["steps applied twice", String(appliedTwice)],
        ["results ignored as stale or repeated", String(ignored)],
        [
          "after the fix: replayed deliveries answered duplicate (same run)",
          `${replayDuplicates} of ${failedRuns.length}`,
        ],
        [
          "after the fix: the same payload, new delivery id, completed",
          `${replayCompleted} of ${failedRuns.length}`,
        ],
      ],
      notes: notes.slice(0, 12),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await host.stop();
    await Promise.all([telegram.close(), openai.close()]);
  }
}

/** The sender's replay of one fan-out delivery (same id, same body), answered by the ledger. */
async function fetchAgain(base: string, id: string): Promise<{ status?: string; runId?: string }> {
  const s = new Senders(
    () => base,
    () => 0.99,
    0,
  );
  const d = s.start("fanout", id);
  await s.drain(20_000);
  return { status: d.acks.at(-1)?.status, runId: d.acks.at(-1)?.runId };
}

export const chaos: Scenario = { name: "chaos", title: "Queue chaos (STEPS consumer)", run };
