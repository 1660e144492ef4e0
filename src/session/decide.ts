import type { Decision } from "./actions.ts";
import { onApprovalExpired, onApprovalRequested, onResumed, pruneApprovals } from "./approvals.ts";
import { onCollectWindowClosed } from "./collect.ts";
import { onStopped } from "./commands.ts";
import type { SessionInput } from "./inputs.ts";
import { onMessage } from "./on-message.ts";
import { onRunFinished, onRunStarted, onSteerRefused } from "./runs.ts";
import type { SessionState } from "./state.ts";

function dispatch(state: SessionState, input: SessionInput): Decision {
  switch (input.type) {
    case "message":
      return onMessage(state, input);
    case "runStarted":
      return onRunStarted(state, input);
    case "runFinished":
      return onRunFinished(state, input);
    case "stopped":
      return onStopped(state, input);
    case "steerRefused":
      return onSteerRefused(state, input);
    case "approvalRequested":
      return onApprovalRequested(state, input);
    case "approvalExpired":
      return onApprovalExpired(state, input);
    case "resumed":
      return onResumed(state, input);
    case "collectWindowClosed":
      return onCollectWindowClosed(state, input);
  }
}

/**
 * The chat session as a pure function: the state after one input, and what the host must do, in order,
 * once it has committed that state. No clock, no randomness, no I/O: time is `input.now`, and run ids and
 * approval tokens come in the input. The input state is never mutated.
 *
 * Ordering: the host feeds inputs one at a time, in the order their deliveries were recorded, and feeds an
 * action's result (runStarted, stopped, steerRefused, resumed) before the next delivery.
 *
 * @example
 * const { state, actions } = decide(initialSessionState(), {
 *   type: "message", now: Date.now(), deliveryKey: "bot:1", intent, message: messageRefOf(event),
 *   chat: source.chat, runId: "run_1", active: null,
 * });
 * // actions: [{ type: "startRun", runId: "run_1", exclusive: true, … }]
 */
export function decide(state: SessionState, input: SessionInput): Decision {
  const decided = dispatch(state, input);
  const approvals = pruneApprovals(decided.state.approvals, input.now);
  if (approvals === decided.state.approvals) return decided;
  return { state: { ...decided.state, approvals }, actions: decided.actions };
}
