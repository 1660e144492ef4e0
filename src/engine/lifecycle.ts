import type { z } from "zod";
import type { AbortStepEffectSchema } from "./effects.ts";
import type { Breach, Usage } from "./governor.ts";
import { type Json, previewJson } from "./json.ts";
import type { RunError, Scope, Thread } from "./state.ts";
import { emit, idPrefix, isFinished, type Tx } from "./tx.ts";

type AbortReason = z.infer<typeof AbortStepEffectSchema>["reason"];

/**
 * Creates a child thread for a loop iteration or parallel lane and queues it to run.
 *
 * @example
 * spawnChild(tx, parent, "fanout", 2, { stepId: "fanout", branch: null }, { item, index: 2 });
 */
export function spawnChild(
  tx: Tx,
  parent: Thread,
  name: string,
  lane: number,
  scope: Scope,
  vars: Thread["vars"],
): Thread {
  const id = `${idPrefix(parent)}${name}`;
  const child: Thread = {
    id,
    parentId: parent.id,
    lane,
    scope,
    pc: 0,
    vars,
    outputs: {},
    last: null,
    block: null,
  };
  tx.state.threads[id] = child;
  tx.queue.push(id);
  return child;
}

/**
 * Lets go of whatever a thread waits on: aborts its in-flight attempt, cancels its timers and
 * removes its child threads, depth first. The thread itself stays; its block is cleared.
 *
 * @example
 * releaseThread(tx, thread, "cancelled"); // emits abortStep + cancelTimer as needed
 */
export function releaseThread(tx: Tx, thread: Thread, reason: AbortReason): void {
  const block = thread.block;
  thread.block = null;
  if (block === null) return;
  switch (block.type) {
    case "attempt":
      tx.effects.push({ type: "abortStep", stepId: block.stepId, attemptId: block.attemptId, reason });
      tx.effects.push({ type: "cancelTimer", timerId: block.timeoutTimerId });
      return;
    case "retry":
    case "delay":
      tx.effects.push({ type: "cancelTimer", timerId: block.timerId });
      return;
    case "wait":
      if (block.timerId !== null) tx.effects.push({ type: "cancelTimer", timerId: block.timerId });
      return;
    default:
      for (const child of Object.values(tx.state.threads)) {
        if (child.parentId === thread.id) removeThread(tx, child, reason);
      }
  }
}

/**
 * Releases a child thread and deletes it.
 *
 * @example
 * removeThread(tx, sibling, "fail_fast");
 */
export function removeThread(tx: Tx, thread: Thread, reason: AbortReason): void {
  releaseThread(tx, thread, reason);
  delete tx.state.threads[thread.id];
}

/**
 * Ends the run: releases every thread (so no attempt outlives the run), keeps the root's
 * outputs for the trace, and emits the final state and the `finish` effect.
 *
 * @example
 * finishRun(tx, "completed", { output: root.last });
 */
export function finishRun(
  tx: Tx,
  status: "completed" | "failed" | "cancelled" | "governor_breached",
  result: { output?: Json; error?: RunError },
  reason: AbortReason = "run_finished",
): void {
  const { state } = tx;
  if (isFinished(state)) return;
  const root = state.threads[""];
  if (root) removeChildrenAndRelease(tx, root, reason);
  state.threads = root ? { "": root } : {};
  state.status = status;
  state.finishedAt = tx.now;
  state.output = result.output ?? null;
  state.error = result.error ?? null;
  emit(tx, "run.state", {
    state: status,
    at: tx.now,
    ...(result.error && { error: result.error.message }),
    output: previewJson(state.output),
    usage: usageData(state.usage),
  });
  tx.effects.push({ type: "finish", status, output: state.output, error: state.error, usage: state.usage });
}

function removeChildrenAndRelease(tx: Tx, root: Thread, reason: AbortReason): void {
  releaseThread(tx, root, reason);
  // Children of a released composite are already gone; anything left belongs to nobody.
  for (const thread of Object.values(tx.state.threads))
    if (thread.id !== "") removeThread(tx, thread, reason);
}

/**
 * Ends the run because a budget ran out. The usage stays in state and in the finish effect.
 *
 * @example
 * const breach = checkLimits(...); if (breach) breachRun(tx, breach);
 */
export function breachRun(tx: Tx, breach: Breach): void {
  emit(tx, "governor.breached", { ...breach, at: tx.now, usage: usageData(tx.state.usage) });
  const message = `${breach.limit} ${breach.max} reached (used ${breach.value})`;
  finishRun(tx, "governor_breached", { error: { message } });
}

/**
 * A run is `waiting` when its only open work is waits for human input.
 *
 * @example
 * refreshStatus(tx); // after every transition
 */
export function refreshStatus(tx: Tx): void {
  const { state } = tx;
  if (isFinished(state)) return;
  const blocks = Object.values(state.threads).map((t) => t.block?.type);
  const busy = blocks.some((type) => type === "attempt" || type === "retry" || type === "delay");
  state.status = !busy && blocks.includes("wait") ? "waiting" : "running";
}

/** Usage as audit events carry it (snake_case, the wire format). */
export function usageData(usage: Usage) {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cost_usd: usage.costUsd,
    steps: usage.steps,
  };
}
