import { onChildDone, onChildFailed } from "./composite.ts";
import { finishRun, releaseThread } from "./lifecycle.ts";
import type { RunError, Thread } from "./state.ts";
import { startStep } from "./step-start.ts";
import { attemptIdOf, emit, isFinished, listOf, type Outcome, type Tx } from "./tx.ts";
import type { LoopStep, ParallelStep } from "./workflow-schema.ts";

/**
 * Runs every queued thread until each one blocks or ends. Pure steps chain inline here, so a
 * run of transforms and branches costs one transition, not one round-trip per step. It
 * terminates because jumps only go forward and loops are capped.
 *
 * @example
 * tx.queue.push(thread.id);
 * drive(tx);
 */
export function drive(tx: Tx): void {
  while (tx.queue.length > 0 && !isFinished(tx.state)) {
    const thread = tx.state.threads[tx.queue.shift() ?? ""];
    if (thread && thread.block === null) runThread(tx, thread);
  }
}

function runThread(tx: Tx, thread: Thread): void {
  while (!isFinished(tx.state) && thread.block === null) {
    const step = listOf(tx, thread.scope)[thread.pc];
    if (step === undefined) return completeThread(tx, thread);
    const outcome = startStep(tx, thread, step);
    if (outcome === "blocked") return;
    if (outcome !== "continue") return failThread(tx, thread, outcome.failed);
  }
}

/** A thread walked past its last step: the run completes, or the parent composite hears of it. */
function completeThread(tx: Tx, thread: Thread): void {
  if (thread.parentId === null) return finishRun(tx, "completed", { output: thread.last });
  const parent = tx.state.threads[thread.parentId];
  const step = parent && compositeAt(tx, parent);
  if (!parent || !step) return;
  settle(tx, parent, onChildDone(tx, parent, thread, step));
}

/**
 * Fails the step at a thread's cursor and passes the failure up: the root failing fails the
 * run; a child failing is its parent composite's decision. `reported` is true when the caller
 * already emitted `step.finish` for the attempt.
 *
 * @example
 * failThread(tx, thread, { message: "fetch failed after 3 attempts: 503", stepId: "fetch" }, true);
 */
export function failThread(tx: Tx, thread: Thread, error: RunError, reported = false): void {
  releaseThread(tx, thread, "run_finished");
  const step = listOf(tx, thread.scope)[thread.pc];
  if (!reported && step) {
    emit(tx, "step.finish", {
      step_id: step.id,
      attempt_id:
        error.stepId === step.id && error.attemptId ? error.attemptId : attemptIdOf(thread, step.id, 1),
      attempt: 1,
      kind: step.kind,
      status: "failed",
      at: tx.now,
      latency_ms: 0,
      error: error.message,
    });
  }
  if (thread.parentId === null) return finishRun(tx, "failed", { error });
  const parent = tx.state.threads[thread.parentId];
  const composite = parent && compositeAt(tx, parent);
  if (!parent || !composite) return;
  settle(tx, parent, onChildFailed(tx, parent, thread, error, composite));
}

function settle(tx: Tx, parent: Thread, outcome: Outcome): void {
  if (outcome === "continue") tx.queue.push(parent.id);
  else if (outcome !== "blocked") failThread(tx, parent, outcome.failed);
}

function compositeAt(tx: Tx, thread: Thread): LoopStep | ParallelStep | undefined {
  const step = listOf(tx, thread.scope)[thread.pc];
  return step?.kind === "loop" || step?.kind === "parallel" ? step : undefined;
}
