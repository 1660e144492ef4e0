import type { ResumedEvent } from "./events.ts";
import { validateJson } from "./json-schema.ts";
import { finishWaitLike } from "./on-result.ts";
import type { RunState, Thread, WaitBlock } from "./state.ts";
import { drive } from "./threads.ts";
import { emit, indexLists, isFinished, listOf, scopeKey, type Tx } from "./tx.ts";

/** Why a resume cannot be applied; the API maps these to 409, 404 and 422. */
export type ResumeCheck =
  | { ok: true; waitId: string; stepId: string }
  | { ok: false; reason: "finished" | "not_waiting" | "unknown_wait" | "invalid_input"; issues: string[] };

/**
 * Checks a resume before it is applied, so `POST /runs/:id/resume` can answer precisely.
 * `advance` runs the same check and ignores a resume that fails it.
 *
 * @example
 * const check = checkResume(state, { waitId: "approve", input: { approved: true } });
 * if (!check.ok && check.reason === "invalid_input") return c.json({ issues: check.issues }, 422);
 */
export function checkResume(
  state: RunState,
  event: Pick<ResumedEvent, "waitId" | "stepId" | "input">,
): ResumeCheck {
  const found = findWait(state, event);
  if (!found.ok) return found;
  const step = (indexLists(state.workflow.steps).get(scopeKey(found.thread.scope)) ?? [])[found.thread.pc];
  const issues = step?.kind === "wait" && step.schema ? validateJson(step.schema, event.input) : [];
  if (issues.length > 0) return { ok: false, reason: "invalid_input", issues };
  return { ok: true, waitId: found.block.waitId, stepId: found.block.stepId };
}

function findWait(
  state: RunState,
  event: Pick<ResumedEvent, "waitId" | "stepId">,
):
  | { ok: true; thread: Thread; block: WaitBlock }
  | { ok: false; reason: "finished" | "not_waiting" | "unknown_wait"; issues: string[] } {
  if (isFinished(state)) return { ok: false, reason: "finished", issues: [] };
  const waiting: [Thread, WaitBlock][] = [];
  for (const thread of Object.values(state.threads)) {
    if (thread.block?.type === "wait") waiting.push([thread, thread.block]);
  }
  if (waiting.length === 0) return { ok: false, reason: "not_waiting", issues: [] };
  // The oldest wait first: threads are stored in creation order.
  const match = waiting.find(
    ([, block]) =>
      (event.waitId === undefined || block.waitId === event.waitId) &&
      (event.stepId === undefined || block.stepId === event.stepId),
  );
  if (!match) return { ok: false, reason: "unknown_wait", issues: [] };
  return { ok: true, thread: match[0], block: match[1] };
}

/**
 * Applies a resume: the wait step's output is the resume input.
 *
 * @example
 * onResumed(tx, { type: "resumed", stepId: "approve", input: { approved: true }, now });
 */
export function onResumed(tx: Tx, event: ResumedEvent): void {
  const check = checkResume(tx.state, event);
  const found = check.ok ? findWait(tx.state, { waitId: check.waitId }) : undefined;
  if (!found?.ok) {
    tx.state.ignoredEvents += 1;
    return;
  }
  const { thread, block } = found;
  if (block.timerId !== null) tx.effects.push({ type: "cancelTimer", timerId: block.timerId });
  thread.block = null;
  if (listOf(tx, thread.scope)[thread.pc]?.kind !== "wait") return;
  emit(tx, "run.state", { state: "running", at: tx.now });
  finishWaitLike(tx, thread, event.input, "succeeded", block.startedAt);
  drive(tx);
}
