import { nextTask } from "../core/next-task.ts";
import { StepMessage, type StepReport } from "../engine/messages.ts";
import type { QueueBatch, QueueMessage } from "../host/ports.ts";
import type { Resources, RunApi } from "../host/resources.ts";
import { attemptAbort } from "../host/stop-burst.ts";
import { runAttempt } from "../steps/attempt.ts";

const POLL_MS = 50;

type RunStub = RunApi;

/**
 * Aborts the attempt as soon as the run no longer wants it. Push first: an outstanding `watchCancel` RPC that
 * the RunObject resolves on cancel. If that call is lost (the object restarted), fall back to polling every
 * 50 ms. Returns a function that stops watching.
 */
function watchForCancel(
  run: RunStub,
  attemptId: string,
  attempt: ReturnType<typeof attemptAbort>,
): () => void {
  let stopped = false;
  const poll = async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      try {
        if (!stopped && !(await run.isOutstanding(attemptId))) attempt.abort(new Error("attempt abandoned"));
        if (attempt.cut.aborted) return;
      } catch {
        // The object is restarting; keep polling until we are stopped.
      }
    }
  };
  run.watchCancel(attemptId).then(
    (result) => {
      if (!stopped && result !== "done") attempt.abort(new Error(`run ${result}`));
    },
    () => {
      if (!stopped) void poll();
    },
  );
  return () => {
    stopped = true;
  };
}

/** Runs one STEPS message: one attempt of one step, reported back to its RunObject. */
export async function handleStepMessage(msg: QueueMessage, res: Resources): Promise<void> {
  const parsed = StepMessage.safeParse(msg.body);
  if (!parsed.success) {
    // Nothing names a run to report to; redelivering cannot fix it.
    console.error(`dropping malformed STEPS message ${msg.id}: ${parsed.error.issues[0]?.message}`);
    msg.ack();
    return;
  }
  const m = parsed.data;
  const run = res.runs.getByName(m.runId);
  try {
    const { proceed } = await run.stepStarted(m.attemptId, msg.attempts > 1);
    if (!proceed) {
      msg.ack();
      return;
    }
    // The model connection closes at once on cancel; the attempt's teardown once the /stops that arrive
    // together have all closed theirs (src/host/stop-burst.ts).
    const attempt = attemptAbort();
    const stopWatching = watchForCancel(run, m.attemptId, attempt);
    let report: StepReport;
    try {
      report = await runAttempt(m, res, attempt.signal, undefined, attempt.cut);
    } finally {
      stopWatching();
    }
    // Reporting an aborted attempt waits for a later task: other attempts cancelled at the same moment
    // abort first (on Node they share this event loop).
    if (attempt.signal.aborted) await nextTask();
    await run.stepFinished(m.stepId, m.attemptId, report);
    msg.ack();
  } catch (err) {
    // The RunObject could not be reached or did not answer: redeliver with backoff. After the queue's
    // max_retries the message lands in the dead-letter queue, which fails the run with the reason.
    console.warn(`step ${m.attemptId} of run ${m.runId} not reported, retrying: ${(err as Error).message}`);
    msg.retry({ delaySeconds: Math.min(2 ** msg.attempts, 60) });
  }
}

export async function handleStepBatch(batch: QueueBatch, res: Resources): Promise<void> {
  await Promise.all(batch.messages.map((msg) => handleStepMessage(msg, res)));
}

/** Dead letters: each one fails its attempt for good, so the run ends `failed` with the reason recorded. */
export async function handleDeadLetterBatch(batch: QueueBatch, res: Resources): Promise<void> {
  for (const msg of batch.messages) {
    const parsed = StepMessage.safeParse(msg.body);
    if (!parsed.success) {
      console.error(`dropping malformed dead letter ${msg.id}`);
      msg.ack();
      continue;
    }
    const m = parsed.data;
    try {
      await res.runs.getByName(m.runId).stepDeadLettered(
        m.stepId,
        m.attemptId,
        // `msg.attempts` counts this dead-letter queue's deliveries, not the STEPS ones that ran out.
        `step "${m.stepId}" attempt ${m.attempt} was not completed: its STEPS message used up its deliveries (max_retries)`,
      );
      msg.ack();
    } catch (err) {
      console.warn(`dead letter for run ${m.runId} not applied: ${(err as Error).message}`);
      msg.retry({ delaySeconds: 5 });
    }
  }
}
