/**
 * The chat session, pure: `decide(state, input) → { state, actions }` plus the schemas at its edges, the
 * intent classification done at ingress, and the trigger rules. Hosts (the SessionObject on Workers, the
 * Node adapter) import from here; nothing here imports a runtime.
 */
export { Decision, replyTo, SessionAction } from "./actions.ts";
export { ANSWERED_KEEP_MS, MAX_APPROVALS, pruneApprovals } from "./approvals.ts";
export { decide } from "./decide.ts";
export { ActiveFacts, type InputOf, MessageInput, SessionInput } from "./inputs.ts";
export { type ChatDecision, chatIntent, genericIntent } from "./intent.ts";
export {
  ApprovalToken,
  approvalButtonId,
  chatTargetOf,
  Intent,
  OnBusy,
  parseApprovalButton,
  RunIntent,
} from "./intent-schema.ts";
export { ChatSettings, MessageRef, messageRefOf } from "./message-ref.ts";
export { isFinished } from "./runs.ts";
export {
  ActiveRun,
  Approval,
  CollectWindow,
  initialSessionState,
  nextWakeOf,
  QueuedItem,
  SessionState,
} from "./state.ts";
export { texts } from "./texts.ts";
