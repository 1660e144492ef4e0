import type { RetrySeed } from "./events.ts";
import { FINISHED, type RunState } from "./state.ts";

/**
 * What "retry from the failed step" starts with, read off a finished run's state: the root thread's
 * cursor (the top-level step that failed, or the composite that contains the failure, or the step that
 * was in flight when the run was cancelled or breached its budget) and the outputs of the top-level steps
 * before it, which the retry reuses instead of running them again. Null when there is nothing to retry
 * from: the run is still going, it completed, or its cursor is past the last step.
 *
 * Pure, like `advance`: the host starts a new run with `{ type: "start", …, seed }`.
 *
 * @example
 * const seed = retrySeed(failed.state); // { pc: 2, fromStep: "summarize", outputs: { fetch: …, parse: … }, last: … }
 */
export function retrySeed(state: RunState): RetrySeed | null {
  if (!FINISHED.includes(state.status) || state.status === "completed") return null;
  const root = state.threads[""];
  const steps = state.workflow.steps;
  const failed = root ? steps[root.pc] : undefined;
  if (!root || !failed) return null;
  const before = new Set(steps.slice(0, root.pc).map((s) => s.id));
  const outputs: RetrySeed["outputs"] = {};
  for (const [stepId, record] of Object.entries(root.outputs)) {
    if (before.has(stepId)) outputs[stepId] = structuredClone(record);
  }
  return { pc: root.pc, outputs, last: structuredClone(root.last), fromStep: failed.id };
}
