import type { ExprContext } from "./context.ts";
import type { Effect, EmitEffect } from "./effects.ts";
import type { Json } from "./json.ts";
import { hashUnit } from "./retry.ts";
import { FINISHED, type RunError, type RunState, type Scope, type Thread } from "./state.ts";
import type { Step } from "./workflow-schema.ts";

/**
 * One transition in progress: a private copy of the state that the step systems mutate, the
 * effects collected so far, and the queue of threads ready to run. `advance` creates one per
 * event and returns its state and effects.
 */
export type Tx = {
  state: RunState;
  effects: Effect[];
  now: number;
  random: (() => number) | undefined;
  lists: Map<string, Step[]>;
  queue: string[];
};

/** What running one step left its thread doing. */
export type Outcome = "continue" | "blocked" | { failed: RunError };

/**
 * Starts a transition over a copy of `state`; the caller's object is never touched.
 *
 * @example
 * const tx = openTx(state, event.now, options.random);
 */
export function openTx(state: RunState, now: number, random?: () => number): Tx {
  const copy = structuredClone(state);
  return { state: copy, effects: [], now, random, lists: indexLists(copy.workflow.steps), queue: [] };
}

/**
 * Maps each step list to a key: "" for the root, the step id for a loop or `forEach` body,
 * `<id>.<branch>` for a named branch.
 *
 * @example
 * indexLists(workflow.steps).get("fanout"); // the body of parallel step "fanout"
 */
export function indexLists(root: Step[]): Map<string, Step[]> {
  const lists = new Map<string, Step[]>([["", root]]);
  const walk = (steps: Step[]) => {
    for (const step of steps) {
      if (step.kind === "loop" || (step.kind === "parallel" && step.steps)) {
        lists.set(step.id, step.steps ?? []);
        walk(step.steps ?? []);
      }
      if (step.kind === "parallel") {
        for (const [name, branch] of Object.entries(step.branches ?? {})) {
          lists.set(`${step.id}.${name}`, branch);
          walk(branch);
        }
      }
    }
  };
  walk(root);
  return lists;
}

/**
 * The step list a thread walks.
 *
 * @example
 * const step = listOf(tx, thread.scope)[thread.pc];
 */
export function listOf(tx: Tx, scope: Scope): Step[] {
  return tx.lists.get(scopeKey(scope)) ?? [];
}

/**
 * The key of a scope in `indexLists`.
 *
 * @example
 * scopeKey({ stepId: "fan", branch: "left" }); // "fan.left"
 */
export function scopeKey(scope: Scope): string {
  return scope === null ? "" : scope.branch === null ? scope.stepId : `${scope.stepId}.${scope.branch}`;
}

/**
 * Whether the run has reached a final status; a finished run accepts no more work.
 *
 * @example
 * if (isFinished(tx.state)) return;
 */
export function isFinished(state: RunState): boolean {
  return FINISHED.includes(state.status);
}

/**
 * `fanout[2]/` for a child thread, "" for the root: the prefix of every id the thread mints.
 *
 * @example
 * idPrefix(child); // "fan[2]/"
 */
export function idPrefix(thread: Thread): string {
  return thread.id === "" ? "" : `${thread.id}/`;
}

/**
 * Attempt ids name the thread, step and attempt, so a loop's iteration 3 never accepts iteration 2's result.
 *
 * @example
 * attemptIdOf(child, "get", 2); // "fan[2]/get#2"
 */
export function attemptIdOf(thread: Thread, stepId: string, attempt: number): string {
  return `${idPrefix(thread)}${stepId}#${attempt}`;
}

/**
 * The jitter source for a retry: injected, or derived from the attempt so replays agree.
 *
 * @example
 * planRetry(policy, attempt, error, randomFor(tx, attemptId));
 */
export function randomFor(tx: Tx, attemptId: string): () => number {
  return tx.random ?? (() => hashUnit(`${tx.state.runId}:${attemptId}`));
}

/**
 * Queues an audit event for the outbox.
 *
 * @example
 * emit(tx, "step.start", { step_id, attempt_id, attempt: 1, kind: "transform", at: tx.now });
 */
export function emit<E extends EmitEffect["event"]>(
  tx: Tx,
  event: E,
  data: Extract<EmitEffect, { event: E }>["data"],
): void {
  tx.effects.push({ type: "emit", event, data } as EmitEffect);
}

/**
 * Records a finished step's output where later expressions read it, and as the thread's latest result.
 *
 * @example
 * recordOutput(thread, "draft", "Dear Ada");
 */
export function recordOutput(
  thread: Thread,
  stepId: string,
  output: Json,
  flags?: { capped?: boolean; timedOut?: boolean },
): void {
  thread.outputs[stepId] = { output, ...flags };
  thread.last = output;
}

/**
 * The variables for expressions in `thread`: outputs from the root down to the thread (inner
 * scopes shadow outer ones) and the nearest loop's `item`/`index`.
 *
 * @example
 * evaluate(step.until, exprContext(tx, thread));
 */
export function exprContext(tx: Tx, thread: Thread): ExprContext {
  const chain: Thread[] = [];
  for (
    let t: Thread | undefined = thread;
    t;
    t = t.parentId === null ? undefined : tx.state.threads[t.parentId]
  ) {
    chain.unshift(t);
  }
  const steps: ExprContext["steps"] = {};
  for (const t of chain) Object.assign(steps, t.outputs);
  const vars = chain.findLast((t) => t.vars !== null)?.vars ?? null;
  const { state } = tx;
  return {
    input: state.input,
    event: state.event,
    steps,
    run: { id: state.runId, workflow: state.workflow.id, startedAt: state.startedAt },
    item: vars?.item ?? null,
    index: vars?.index ?? null,
  };
}
