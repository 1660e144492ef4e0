import { startLoop, startParallel } from "./composite.ts";
import { evaluate } from "./expr.ts";
import { checkLimits } from "./governor.ts";
import { type Json, previewJson } from "./json.ts";
import { breachRun } from "./lifecycle.ts";
import { resolveStep } from "./resolve.ts";
import type { Thread } from "./state.ts";
import { renderTemplate } from "./template.ts";
import {
  attemptIdOf,
  emit,
  exprContext,
  idPrefix,
  listOf,
  type Outcome,
  recordOutput,
  type Tx,
} from "./tx.ts";
import type { HttpStep, LlmStep, Step } from "./workflow-schema.ts";

/** A worker that misses its own deadline still gets this long to report before the engine gives up on it. */
export const STEP_TIMEOUT_GRACE_MS = 1_000;

/**
 * Starts the step at the thread's cursor. The governor is asked first, for every kind of
 * step, so a budget can never be overrun by a step that was already allowed to start.
 * Pure steps finish here and return "continue"; the rest block the thread.
 *
 * @example
 * const outcome = startStep(tx, thread, step);
 */
export function startStep(tx: Tx, thread: Thread, step: Step): Outcome {
  const { state } = tx;
  const breach = checkLimits(state.workflow.limits, state.usage, state.startedAt, tx.now, true);
  if (breach) {
    breachRun(tx, breach);
    return "blocked";
  }
  state.usage.steps += 1;
  if (step.kind === "llm" || step.kind === "http") return startAttempt(tx, thread, step, 1);
  emit(tx, "step.start", {
    step_id: step.id,
    attempt_id: attemptIdOf(thread, step.id, 1),
    attempt: 1,
    kind: step.kind,
    at: tx.now,
  });
  switch (step.kind) {
    case "transform":
      return runTransform(tx, thread, step);
    case "branch":
      return runBranch(tx, thread, step);
    case "reply": {
      const text = renderTemplate(step.text, exprContext(tx, thread));
      if (!text.ok) return fail(step, `text: ${text.error}`);
      tx.effects.push({ type: "reply", stepId: step.id, text: text.value });
      return finishPure(tx, thread, step, { text: text.value });
    }
    case "delay": {
      const timerId = `${idPrefix(thread)}${step.id}:delay`;
      tx.effects.push({ type: "setTimer", timerId, at: tx.now + step.duration, purpose: "delay" });
      thread.block = { type: "delay", stepId: step.id, startedAt: tx.now, timerId };
      return "blocked";
    }
    case "wait":
      return startWait(tx, thread, step);
    case "loop":
      return startLoop(tx, thread, step);
    case "parallel":
      return startParallel(tx, thread, step);
  }
}

/**
 * Sends one attempt of an I/O step to a worker, with a step-timeout timer as a backstop so a
 * lost worker cannot wedge the run. Retries come back here with `attempt > 1`.
 *
 * @example
 * startAttempt(tx, thread, step, block.attempt); // from a retry timer
 */
export function startAttempt(tx: Tx, thread: Thread, step: LlmStep | HttpStep, attempt: number): Outcome {
  const { state } = tx;
  if (attempt > 1) {
    // A retry is not a new step, but tokens, cost and time may have run out while backing off.
    const breach = checkLimits(state.workflow.limits, state.usage, state.startedAt, tx.now, false);
    if (breach) {
      breachRun(tx, breach);
      return "blocked";
    }
  }
  const attemptId = attemptIdOf(thread, step.id, attempt);
  emit(tx, "step.start", { step_id: step.id, attempt_id: attemptId, attempt, kind: step.kind, at: tx.now });
  const resolved = resolveStep(step, exprContext(tx, thread));
  if (!resolved.ok) return fail(step, resolved.error, attemptId);
  const deadlineMs = tx.now + step.timeout;
  const timeoutTimerId = `${attemptId}:timeout`;
  tx.effects.push({
    type: "enqueueStep",
    stepId: step.id,
    attempt,
    attemptId,
    kind: step.kind,
    resolved: resolved.value,
    deadlineMs,
  });
  tx.effects.push({
    type: "setTimer",
    timerId: timeoutTimerId,
    at: deadlineMs + STEP_TIMEOUT_GRACE_MS,
    purpose: "step_timeout",
  });
  const model = step.kind === "llm" ? step.model : null;
  thread.block = {
    type: "attempt",
    stepId: step.id,
    kind: step.kind,
    attempt,
    attemptId,
    startedAt: tx.now,
    timeoutTimerId,
    model,
  };
  return "blocked";
}

function runTransform(tx: Tx, thread: Thread, step: Extract<Step, { kind: "transform" }>): Outcome {
  const ctx = exprContext(tx, thread);
  const output: Record<string, Json> = {};
  for (const [name, source] of Object.entries(step.set)) {
    const result = evaluate(source, ctx);
    if (!result.ok) return fail(step, `set.${name}: ${result.error}`);
    output[name] = result.value;
  }
  return finishPure(tx, thread, step, output);
}

function runBranch(tx: Tx, thread: Thread, step: Extract<Step, { kind: "branch" }>): Outcome {
  const ctx = exprContext(tx, thread);
  let taken: { case: number | null; goto: string | null } = { case: null, goto: step.default ?? null };
  for (const [index, c] of step.cases.entries()) {
    const result = evaluate(c.when, ctx);
    if (!result.ok) return fail(step, `cases[${index}].when: ${result.error}`);
    if (typeof result.value !== "boolean") return fail(step, `cases[${index}].when must be a boolean`);
    if (result.value) {
      taken = { case: index, goto: c.goto };
      break;
    }
  }
  const outcome = finishPure(tx, thread, step, taken);
  if (taken.goto !== null) jump(tx, thread, taken.goto);
  return outcome;
}

/**
 * Moves the cursor to a later sibling; validation guarantees the target exists and is ahead.
 *
 * @example
 * jump(tx, thread, "refund"); // a branch case matched
 */
export function jump(tx: Tx, thread: Thread, target: string): void {
  const index = listOf(tx, thread.scope).findIndex((s) => s.id === target);
  if (index > thread.pc) thread.pc = index;
}

function startWait(tx: Tx, thread: Thread, step: Extract<Step, { kind: "wait" }>): Outcome {
  let prompt: string | undefined;
  if (step.prompt !== undefined) {
    const rendered = renderTemplate(step.prompt, exprContext(tx, thread));
    if (!rendered.ok) return fail(step, `prompt: ${rendered.error}`);
    prompt = rendered.value;
  }
  const waitId = `${idPrefix(thread)}${step.id}`;
  let timerId: string | null = null;
  let timeoutAt: number | undefined;
  if (step.timeout !== undefined) {
    timerId = `${waitId}:wait`;
    timeoutAt = tx.now + step.timeout;
    tx.effects.push({ type: "setTimer", timerId, at: timeoutAt, purpose: "wait_timeout" });
  }
  thread.block = { type: "wait", stepId: step.id, startedAt: tx.now, waitId, timerId };
  const wait = {
    wait_id: waitId,
    step_id: step.id,
    ...(prompt !== undefined && { prompt }),
    ...(step.schema !== undefined && { schema: step.schema }),
    ...(timeoutAt !== undefined && { timeout_at: timeoutAt }),
  };
  emit(tx, "run.state", { state: "waiting", at: tx.now, wait });
  tx.effects.push({
    type: "requestApproval",
    waitId,
    stepId: step.id,
    ...(prompt !== undefined && { prompt }),
    ...(timeoutAt !== undefined && { timeoutAt }),
  });
  return "blocked";
}

/**
 * Ends a step that ran inside this transition and moves the cursor past it.
 *
 * @example
 * return finishPure(tx, thread, step, { text });
 */
export function finishPure(tx: Tx, thread: Thread, step: Step, output: Json, startedAt = tx.now): Outcome {
  recordOutput(thread, step.id, output);
  emit(tx, "step.finish", {
    step_id: step.id,
    attempt_id: attemptIdOf(thread, step.id, 1),
    attempt: 1,
    kind: step.kind,
    status: "succeeded",
    at: tx.now,
    latency_ms: tx.now - startedAt,
    output: previewJson(output),
  });
  thread.pc += 1;
  return "continue";
}

function fail(step: Step, message: string, attemptId?: string): Outcome {
  return { failed: { message: `${step.id}: ${message}`, stepId: step.id, ...(attemptId && { attemptId }) } };
}
