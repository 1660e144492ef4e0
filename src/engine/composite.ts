import { evaluate } from "./expr.ts";
import { type Json, previewJson } from "./json.ts";
import { removeThread, spawnChild } from "./lifecycle.ts";
import type { LoopBlock, ParallelBlock, RunError, Thread } from "./state.ts";
import { attemptIdOf, emit, exprContext, type Outcome, recordOutput, type Tx } from "./tx.ts";
import { type LoopStep, MAX_FANOUT, type ParallelStep } from "./workflow-schema.ts";

/*
 * Loops and parallel steps are bookkeeping, done inline: the parent thread blocks on the
 * composite, children walk the body, and each child's end is reported back here.
 */

/**
 * Starts a loop: evaluates `forEach` once (the list is fixed for the loop's life) and
 * spawns the first iteration.
 *
 * @example
 * startLoop(tx, thread, { kind: "loop", id: "each", forEach: "input.items", maxIterations: 50, steps });
 */
export function startLoop(tx: Tx, thread: Thread, step: LoopStep): Outcome {
  let items: Json[] | null = null;
  if (step.forEach !== undefined) {
    const list = evaluateList(tx, thread, step.forEach, step.id);
    if (!Array.isArray(list)) return list;
    // Silently dropping items past the cap would hide data loss; fail before doing any work.
    if (list.length > step.maxIterations) {
      return fail(step.id, `forEach has ${list.length} items, more than maxIterations ${step.maxIterations}`);
    }
    if (list.length === 0) return finishComposite(tx, thread, step.id, "loop", []);
    items = list;
  }
  thread.block = { type: "loop", stepId: step.id, startedAt: tx.now, iteration: 0, items, results: [] };
  spawnIteration(tx, thread, step.id, 0, items);
  return "blocked";
}

function spawnIteration(
  tx: Tx,
  parent: Thread,
  stepId: string,
  iteration: number,
  items: Json[] | null,
): void {
  const vars = { item: items?.[iteration] ?? null, index: iteration };
  spawnChild(tx, parent, `${stepId}[${iteration}]`, iteration, { stepId, branch: null }, vars);
}

/**
 * Starts a parallel step: one lane per named branch (all at once) or per `forEach` item (up
 * to `concurrency` at once).
 *
 * @example
 * startParallel(tx, thread, { kind: "parallel", id: "fan", forEach: "input.urls", concurrency: 10, steps, failFast: false });
 */
export function startParallel(tx: Tx, thread: Thread, step: ParallelStep): Outcome {
  let names: string[] | null = null;
  let items: Json[] | null = null;
  if (step.branches) names = Object.keys(step.branches);
  else {
    const list = evaluateList(tx, thread, step.forEach ?? "[]", step.id);
    if (!Array.isArray(list)) return list;
    if (list.length > MAX_FANOUT)
      return fail(step.id, `forEach has ${list.length} items, more than ${MAX_FANOUT}`);
    items = list;
  }
  const lanes = names?.length ?? items?.length ?? 0;
  if (lanes === 0) return finishComposite(tx, thread, step.id, "parallel", []);
  const block: ParallelBlock = {
    type: "parallel",
    stepId: step.id,
    startedAt: tx.now,
    names,
    items,
    lanes,
    next: 0,
    running: 0,
    settled: 0,
    results: Array.from({ length: lanes }, () => null),
    failures: [],
  };
  thread.block = block;
  const limit = names ? lanes : step.concurrency;
  while (block.next < lanes && block.running < limit) spawnLane(tx, thread, block);
  return "blocked";
}

function spawnLane(tx: Tx, parent: Thread, block: ParallelBlock): void {
  const lane = block.next;
  const name = block.names?.[lane];
  block.next += 1;
  block.running += 1;
  if (name !== undefined) {
    spawnChild(tx, parent, `${block.stepId}.${name}`, lane, { stepId: block.stepId, branch: name }, null);
  } else {
    const vars = { item: block.items?.[lane] ?? null, index: lane };
    spawnChild(tx, parent, `${block.stepId}[${lane}]`, lane, { stepId: block.stepId, branch: null }, vars);
  }
}

/**
 * A child thread walked to the end of its body. Decides the parent's next move: another
 * iteration or lane ("blocked"), the join ("continue"), or a failure.
 *
 * @example
 * settle(tx, parent, onChildDone(tx, parent, child, step));
 */
export function onChildDone(tx: Tx, parent: Thread, child: Thread, step: LoopStep | ParallelStep): Outcome {
  const block = parent.block;
  if (block?.type === "loop" && step.kind === "loop") return loopNext(tx, parent, child, block, step);
  if (block?.type !== "parallel" || step.kind !== "parallel")
    return fail(step.id, "internal: child without a composite");
  removeThread(tx, child, "run_finished");
  block.results[child.lane ?? 0] = child.last;
  block.running -= 1;
  block.settled += 1;
  return parallelNext(tx, parent, block, step);
}

function loopNext(tx: Tx, parent: Thread, child: Thread, block: LoopBlock, step: LoopStep): Outcome {
  block.results.push(child.last);
  block.iteration += 1;
  let capped = false;
  if (step.until !== undefined) {
    // `until` reads the iteration that just ended, so evaluate before the child is removed.
    const result = evaluate(step.until, exprContext(tx, child));
    removeThread(tx, child, "run_finished");
    if (!result.ok) return fail(step.id, `until: ${result.error}`);
    if (typeof result.value !== "boolean")
      return fail(step.id, `until must be a boolean, got ${typeOf(result.value)}`);
    if (result.value) return finishComposite(tx, parent, step.id, "loop", block.results);
    capped = block.iteration >= step.maxIterations;
  } else {
    removeThread(tx, child, "run_finished");
    if (block.iteration >= (block.items?.length ?? 0))
      return finishComposite(tx, parent, step.id, "loop", block.results);
  }
  if (capped) return finishComposite(tx, parent, step.id, "loop", block.results, true);
  spawnIteration(tx, parent, step.id, block.iteration, block.items);
  return "blocked";
}

function parallelNext(tx: Tx, parent: Thread, block: ParallelBlock, step: ParallelStep): Outcome {
  const limit = block.names ? block.lanes : step.concurrency;
  while (block.next < block.lanes && block.running < limit) spawnLane(tx, parent, block);
  if (block.settled < block.lanes) return "blocked";
  if (block.failures.length > 0) {
    const list = block.failures.map((f) => `[${laneLabel(block, f.lane)}] ${f.message}`).join("; ");
    return fail(step.id, `${block.failures.length} of ${block.lanes} lanes failed: ${list}`);
  }
  const names = block.names;
  const output: Json = names
    ? Object.fromEntries(names.map((name, i) => [name, block.results[i] ?? null]))
    : block.results;
  return finishComposite(tx, parent, step.id, "parallel", output);
}

/**
 * A child thread failed. A loop fails with it. A parallel step fails at once under
 * `failFast` (aborting the other lanes), otherwise it lets the other lanes finish first.
 *
 * @example
 * settle(tx, parent, onChildFailed(tx, parent, child, { message: "boom", stepId: "get" }, step));
 */
export function onChildFailed(
  tx: Tx,
  parent: Thread,
  child: Thread,
  error: RunError,
  step: LoopStep | ParallelStep,
): Outcome {
  const block = parent.block;
  removeThread(tx, child, "run_finished");
  if (block?.type === "loop") {
    return { failed: { ...error, message: `${step.id}[${child.lane}]: ${error.message}` } };
  }
  if (block?.type !== "parallel" || step.kind !== "parallel") return { failed: error };
  const label = laneLabel(block, child.lane ?? 0);
  if (step.failFast) {
    for (const sibling of Object.values(tx.state.threads)) {
      if (sibling.parentId === parent.id) removeThread(tx, sibling, "fail_fast");
    }
    parent.block = null;
    return { failed: { ...error, message: `${step.id}[${label}]: ${error.message}` } };
  }
  block.failures.push({ lane: child.lane ?? 0, message: error.message });
  block.running -= 1;
  block.settled += 1;
  return parallelNext(tx, parent, block, step);
}

function finishComposite(
  tx: Tx,
  thread: Thread,
  stepId: string,
  kind: string,
  output: Json,
  capped = false,
): Outcome {
  const block = thread.block;
  const startedAt = block?.type === "loop" || block?.type === "parallel" ? block.startedAt : tx.now;
  thread.block = null;
  // Loops always say whether they hit the cap, so `steps.<id>.capped` is safe to read.
  recordOutput(thread, stepId, output, kind === "loop" ? { capped } : undefined);
  emit(tx, "step.finish", {
    step_id: stepId,
    attempt_id: attemptIdOf(thread, stepId, 1),
    attempt: 1,
    kind,
    status: "succeeded",
    at: tx.now,
    latency_ms: tx.now - startedAt,
    ...(capped && { capped }),
    output: previewJson(output),
  });
  thread.pc += 1;
  return "continue";
}

function evaluateList(tx: Tx, thread: Thread, source: string, stepId: string): Json[] | { failed: RunError } {
  const result = evaluate(source, exprContext(tx, thread));
  if (!result.ok) return fail(stepId, `forEach: ${result.error}`);
  if (!Array.isArray(result.value))
    return fail(stepId, `forEach must be a list, got ${typeOf(result.value)}`);
  return result.value;
}

function laneLabel(block: ParallelBlock, lane: number): string {
  return block.names?.[lane] ?? String(lane);
}

function typeOf(value: Json): string {
  return value === null ? "null" : Array.isArray(value) ? "list" : typeof value;
}

function fail(stepId: string, message: string): { failed: RunError } {
  return { failed: { message: `${stepId}: ${message}`, stepId } };
}
