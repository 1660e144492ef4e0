import type { StepFailedEvent, StepSucceededEvent, TimerFiredEvent } from "./events.ts";
import { addUsage, type StepUsage } from "./governor.ts";
import { type Json, previewJson } from "./json.ts";
import { planRetry, type StepError } from "./retry.ts";
import type { AttemptBlock, Thread } from "./state.ts";
import { jump, startAttempt } from "./step-start.ts";
import { drive, failThread } from "./threads.ts";
import { attemptIdOf, emit, isFinished, listOf, randomFor, recordOutput, type Tx } from "./tx.ts";

/** The thread whose outstanding attempt this result is for, if any: the exactly-once gate. */
function findAttempt(
  tx: Tx,
  event: StepSucceededEvent | StepFailedEvent,
): [Thread, AttemptBlock] | undefined {
  if (isFinished(tx.state)) return undefined;
  for (const thread of Object.values(tx.state.threads)) {
    const block = thread.block;
    if (block?.type !== "attempt" || block.attemptId !== event.attemptId) continue;
    return block.stepId === event.stepId && block.attempt === event.attempt ? [thread, block] : undefined;
  }
  return undefined;
}

/**
 * Applies a worker's success. A result that is not for the outstanding attempt (a
 * redelivery, an attempt already timed out or retried, anything after the run ended) changes
 * nothing but `ignoredResults`.
 *
 * @example
 * onStepSucceeded(tx, { type: "stepSucceeded", stepId: "draft", attempt: 1, attemptId: "draft#1", output, now });
 */
export function onStepSucceeded(tx: Tx, event: StepSucceededEvent): void {
  const found = findAttempt(tx, event);
  if (!found) {
    tx.state.ignoredResults += 1;
    return;
  }
  const [thread, block] = found;
  const usage: StepUsage = event.usage ?? { inputTokens: 0, outputTokens: 0 };
  const before = tx.state.usage.costUsd;
  tx.state.usage = addUsage(tx.state.usage, block.model, usage, tx.state.prices);
  tx.effects.push({ type: "cancelTimer", timerId: block.timeoutTimerId });
  emit(tx, "step.finish", {
    ...finishBase(tx, block),
    status: "succeeded",
    output: previewJson(event.output),
    ...(event.usage && {
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      cost_usd: tx.state.usage.costUsd - before,
    }),
  });
  thread.block = null;
  recordOutput(thread, block.stepId, event.output);
  thread.pc += 1;
  tx.queue.push(thread.id);
  drive(tx);
}

/**
 * Applies a worker's failure: retry after a backoff, or fail the step. Stale failures are ignored like stale successes.
 *
 * @example
 * onStepFailed(tx, { type: "stepFailed", stepId: "fetch", attempt: 1, attemptId: "fetch#1", error, now });
 */
export function onStepFailed(tx: Tx, event: StepFailedEvent): void {
  const found = findAttempt(tx, event);
  if (!found) {
    tx.state.ignoredResults += 1;
    return;
  }
  const [thread, block] = found;
  const before = tx.state.usage.costUsd;
  if (event.usage) tx.state.usage = addUsage(tx.state.usage, block.model, event.usage, tx.state.prices);
  tx.effects.push({ type: "cancelTimer", timerId: block.timeoutTimerId });
  // A failed call's tokens (a stream cut off mid-way) show on its step.finish like a success's.
  const tokens = event.usage && {
    input_tokens: event.usage.inputTokens,
    output_tokens: event.usage.outputTokens,
    cost_usd: tx.state.usage.costUsd - before,
  };
  handleFailure(tx, thread, block, event.error, tokens);
}

function handleFailure(
  tx: Tx,
  thread: Thread,
  block: AttemptBlock,
  error: StepError,
  tokens?: { input_tokens: number; output_tokens: number; cost_usd: number },
): void {
  const step = listOf(tx, thread.scope)[thread.pc];
  if (step?.kind !== "llm" && step?.kind !== "http") return;
  const plan = planRetry(step.retry, block.attempt, error, randomFor(tx, block.attemptId));
  if (plan.retry) {
    const timerId = `${block.attemptId}:retry`;
    const at = tx.now + plan.delayMs;
    tx.effects.push({ type: "setTimer", timerId, at, purpose: "retry" });
    emit(tx, "step.finish", {
      ...finishBase(tx, block),
      status: "retrying",
      error: error.message,
      retry_at: at,
      ...tokens,
    });
    thread.block = { type: "retry", stepId: step.id, attempt: block.attempt + 1, timerId };
    return;
  }
  emit(tx, "step.finish", { ...finishBase(tx, block), status: "failed", error: error.message, ...tokens });
  thread.block = null;
  const why =
    plan.reason === "exhausted" ? `failed after ${block.attempt} attempts` : "failed (not retriable)";
  failThread(
    tx,
    thread,
    { message: `${step.id} ${why}: ${error.message}`, stepId: step.id, attemptId: block.attemptId },
    true,
  );
  drive(tx);
}

function finishBase(tx: Tx, block: AttemptBlock) {
  return {
    step_id: block.stepId,
    attempt_id: block.attemptId,
    attempt: block.attempt,
    kind: block.kind,
    at: tx.now,
    latency_ms: tx.now - block.startedAt,
    ...(block.model !== null && { model: block.model }),
  };
}

/**
 * Applies a timer: a step timeout counts as a retriable failure (and aborts the attempt), a
 * retry timer starts the next attempt, a delay ends, a wait times out. Unknown or already
 * cancelled timers are ignored.
 *
 * @example
 * onTimerFired(tx, { type: "timerFired", timerId: "fetch#1:retry", now });
 */
export function onTimerFired(tx: Tx, event: TimerFiredEvent): void {
  const found = isFinished(tx.state) ? undefined : findTimer(tx, event.timerId);
  if (!found) {
    tx.state.ignoredEvents += 1;
    return;
  }
  const { thread } = found;
  const block = thread.block;
  const step = listOf(tx, thread.scope)[thread.pc];
  if (!block || !step) return;
  if (block.type === "attempt") {
    tx.effects.push({
      type: "abortStep",
      stepId: block.stepId,
      attemptId: block.attemptId,
      reason: "timeout",
    });
    const timeoutMs = step.kind === "llm" || step.kind === "http" ? step.timeout : 0;
    // Worded like the attempt's own timeout (src/steps/failure.ts), whichever of the two fires first.
    const message =
      step.kind === "llm"
        ? `model ${step.model} timed out after ${timeoutMs} ms`
        : `timed out after ${timeoutMs} ms`;
    handleFailure(tx, thread, block, { message, retriable: true });
    return;
  }
  thread.block = null;
  if (block.type === "retry" && (step.kind === "llm" || step.kind === "http")) {
    const outcome = startAttempt(tx, thread, step, block.attempt);
    if (typeof outcome === "object") failThread(tx, thread, outcome.failed);
  } else if (block.type === "delay") {
    finishWaitLike(tx, thread, null, "succeeded", block.startedAt);
  } else if (block.type === "wait" && step.kind === "wait") {
    tx.effects.push({ type: "waitExpired", waitId: block.waitId, stepId: step.id });
    if (step.onTimeout === undefined) {
      failThread(tx, thread, { message: `${step.id}: no input within ${step.timeout}ms`, stepId: step.id });
    } else {
      finishWaitLike(tx, thread, null, "timed_out", block.startedAt);
      jump(tx, thread, step.onTimeout);
    }
  }
  drive(tx);
}

function findTimer(tx: Tx, timerId: string): { thread: Thread } | undefined {
  for (const thread of Object.values(tx.state.threads)) {
    const block = thread.block;
    if (!block) continue;
    const id = block.type === "attempt" ? block.timeoutTimerId : "timerId" in block ? block.timerId : null;
    if (id === timerId) return { thread };
  }
  return undefined;
}

/**
 * Ends a delay or wait step: records its output and queues the thread.
 *
 * @example
 * finishWaitLike(tx, thread, event.input, "succeeded", block.startedAt);
 */
export function finishWaitLike(
  tx: Tx,
  thread: Thread,
  output: Json,
  status: "succeeded" | "timed_out",
  startedAt: number,
): void {
  const step = listOf(tx, thread.scope)[thread.pc];
  if (!step) return;
  recordOutput(thread, step.id, output, status === "timed_out" ? { timedOut: true } : undefined);
  emit(tx, "step.finish", {
    step_id: step.id,
    attempt_id: attemptIdOf(thread, step.id, 1),
    attempt: 1,
    kind: step.kind,
    status,
    at: tx.now,
    latency_ms: tx.now - startedAt,
    output: previewJson(output),
  });
  thread.pc += 1;
  tx.queue.push(thread.id);
}
