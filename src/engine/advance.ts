import type { Effect } from "./effects.ts";
import type { CancelRequestedEvent, EngineEvent, StartEvent } from "./events.ts";
import { EMPTY_USAGE } from "./governor.ts";
import { summaryJson } from "./json.ts";
import { finishRun, refreshStatus } from "./lifecycle.ts";
import { onStepFailed, onStepSucceeded, onTimerFired } from "./on-result.ts";
import { onResumed } from "./resume.ts";
import type { RunState } from "./state.ts";
import { drive } from "./threads.ts";
import { emit, isFinished, openTx, type Tx } from "./tx.ts";

/** Injection points. `random` replaces the deterministic per-attempt jitter source (tests, simulations). */
export type AdvanceOptions = { random?: () => number };

/**
 * The engine: given a run's state and one event, returns the next state and the effects the
 * runtime must carry out (after persisting the state). Pure: no I/O, no clock, no global
 * randomness; the input state is never mutated. `state` is null (or undefined) only for `start`.
 *
 * @example
 * let { state, effects } = advance(null, { type: "start", runId, workflow, input, now: Date.now() });
 * // …run effects; when a worker reports back:
 * ({ state, effects } = advance(state, { type: "stepSucceeded", stepId, attempt, attemptId, output, now }));
 */
export function advance(
  state: RunState | null | undefined,
  event: EngineEvent,
  options: AdvanceOptions = {},
): { state: RunState; effects: Effect[] } {
  if (state === null || state === undefined) {
    if (event.type !== "start")
      throw new TypeError(`advance: a run must begin with "start", got "${event.type}"`);
    return start(event, options);
  }
  const tx = openTx(state, event.now, options.random);
  switch (event.type) {
    case "start":
      // A repeated start (an RPC retried after a lost reply) must not restart the run.
      tx.state.ignoredEvents += 1;
      break;
    case "stepSucceeded":
      onStepSucceeded(tx, event);
      break;
    case "stepFailed":
      onStepFailed(tx, event);
      break;
    case "timerFired":
      onTimerFired(tx, event);
      break;
    case "cancelRequested":
      cancel(tx, event);
      break;
    case "resumed":
      onResumed(tx, event);
      break;
  }
  refreshStatus(tx);
  return { state: tx.state, effects: tx.effects };
}

function start(event: StartEvent, options: AdvanceOptions): { state: RunState; effects: Effect[] } {
  const seed = event.seed;
  const initial: RunState = {
    v: 1,
    runId: event.runId,
    workflow: event.workflow,
    input: event.input,
    event: event.event,
    prices: event.prices,
    startedAt: event.now,
    status: "running",
    threads: {
      "": {
        id: "",
        parentId: null,
        lane: null,
        scope: null,
        pc: seed?.pc ?? 0,
        vars: null,
        outputs: seed ? structuredClone(seed.outputs) : {},
        last: seed ? structuredClone(seed.last) : null,
        block: null,
      },
    },
    usage: { ...EMPTY_USAGE },
    ignoredResults: 0,
    ignoredEvents: 0,
    output: null,
    error: null,
    cancel: null,
    finishedAt: null,
    ...(seed && { reused: Object.keys(seed.outputs) }),
  };
  const tx = openTx(initial, event.now, options.random);
  const version = event.workflow.version;
  emit(tx, "run.state", {
    state: "started",
    at: tx.now,
    ...(version !== undefined && { workflow_version: String(version) }),
    ...(event.input !== null && { input_summary: summaryJson(event.input) ?? undefined }),
    ...(seed && { retry_from: seed.fromStep, reused: Object.keys(seed.outputs) }),
  });
  tx.queue.push("");
  drive(tx);
  refreshStatus(tx);
  return { state: tx.state, effects: tx.effects };
}

/**
 * Cancel wins over everything still open: in-flight attempts get `abortStep`, timers are
 * cancelled, and since the run is finished no later event can start a step.
 */
function cancel(tx: Tx, event: CancelRequestedEvent): void {
  if (isFinished(tx.state)) {
    tx.state.ignoredEvents += 1;
    return;
  }
  tx.state.cancel = { source: event.source, requestedAt: event.now };
  emit(tx, "run.state", { state: "cancel_requested", at: tx.now });
  emit(tx, "run.cancel", { source: event.source, requested_at: event.now });
  finishRun(tx, "cancelled", { error: { message: `cancelled by ${event.source}` } }, "cancelled");
}
