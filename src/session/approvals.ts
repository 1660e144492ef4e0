import { type Decision, replyTo, type SessionAction } from "./actions.ts";
import type { InputOf, MessageInput } from "./inputs.ts";
import { approvalButtonId, parseApprovalButton } from "./intent-schema.ts";
import type { MessageRef } from "./message-ref.ts";
import type { Approval, SessionState } from "./state.ts";
import { texts } from "./texts.ts";

/** Answered approvals are kept this long, so a late press hears `texts.alreadyAnswered`, not `buttonExpired`. */
export const ANSWERED_KEEP_MS = 24 * 60 * 60 * 1000;
/** Unanswered approvals of waits without a deadline would otherwise pile up forever. */
export const MAX_APPROVALS = 100;

/** Telegram answers on the pressed button (callback query); WhatsApp has none, so it is a chat reply. */
function answer(callbackId: string | undefined, message: MessageRef, text: string): SessionAction[] {
  return callbackId === undefined
    ? replyTo(message.target, text)
    : [{ type: "answerButton", callbackId, text }];
}

/**
 * A run waits for a person: remember the token and send the prompt with Approve / Reject buttons.
 *
 * @example onApprovalRequested(state, { type: "approvalRequested", token: "a1b2c3d4", … }) // [sendButtons]
 */
export function onApprovalRequested(state: SessionState, input: InputOf<"approvalRequested">): Decision {
  const { runId, waitId, stepId, allowed, token, target, prompt, now } = input;
  const approval: Approval = {
    token,
    runId,
    waitId,
    stepId,
    allowed,
    target,
    createdAt: now,
    answeredAt: null,
  };
  const approvals = [...state.approvals.filter((a) => a.token !== token), approval];
  const buttons = [
    { id: approvalButtonId(token, true), title: texts.approve },
    { id: approvalButtonId(token, false), title: texts.reject },
  ];
  // The run sends an empty prompt when the workflow gives none.
  const text = prompt === "" ? texts.approvalPrompt : prompt;
  const actions: SessionAction[] = target === null ? [] : [{ type: "sendButtons", target, text, buttons }];
  return { state: { ...state, approvals }, actions };
}

/**
 * A button press: only a known, unanswered token from an allowed sender resumes the run. It is marked
 * answered before the resume is carried out, so a second press cannot resume twice.
 *
 * @example onButton(state, input, "hl:a1b2c3d4:y", "cb-1") // [resume] (or an answerButton refusal)
 */
export function onButton(
  state: SessionState,
  input: MessageInput,
  data: string,
  callbackId: string | undefined,
): Decision {
  const { message, now } = input;
  const parsed = parseApprovalButton(data);
  const approval = parsed && state.approvals.find((a) => a.token === parsed.token);
  const refuse = (text: string) => ({ state, actions: answer(callbackId, message, text) });
  if (!parsed || !approval) return refuse(texts.buttonExpired);
  if (approval.allowed.length > 0 && !approval.allowed.includes(message.senderId ?? ""))
    return refuse(texts.notAllowed);
  if (approval.answeredAt !== null) return refuse(texts.alreadyAnswered);
  const approvals = state.approvals.map((a) => (a === approval ? { ...a, answeredAt: now } : a));
  const { runId, stepId, token } = approval;
  const resume: SessionAction = { type: "resume", runId, stepId, approved: parsed.approve, token, message };
  if (callbackId !== undefined) resume.callbackId = callbackId;
  return { state: { ...state, approvals }, actions: [resume] };
}

/**
 * The run's answer to a resume: the presser learns whether it counted.
 *
 * @example onResumed(state, { type: "resumed", approved: true, resumed: true, … }) // answerButton texts.approved
 */
export function onResumed(state: SessionState, input: InputOf<"resumed">): Decision {
  const { approved, resumed, callbackId, message } = input;
  const text = !resumed ? texts.noLongerWaiting : approved ? texts.approved : texts.rejected;
  return { state, actions: answer(callbackId, message, text) };
}

/**
 * The wait behind an approval timed out: tell its chat, and forget the buttons.
 *
 * @example onApprovalExpired(state, { type: "approvalExpired", now, runId, stepId }) // reply texts.noAnswerInTime
 */
export function onApprovalExpired(state: SessionState, input: InputOf<"approvalExpired">): Decision {
  const hit = (a: Approval) => a.runId === input.runId && a.stepId === input.stepId;
  const expired = state.approvals.find(hit);
  if (!expired) return { state, actions: [] };
  const approvals = state.approvals.filter((a) => !hit(a));
  return { state: { ...state, approvals }, actions: replyTo(expired.target, texts.noAnswerInTime) };
}

/**
 * Drops answered approvals older than a day, then the oldest beyond the cap (answered ones first).
 * Returns the same array when nothing changes, so callers can keep the state object as it was.
 *
 * @example pruneApprovals(state.approvals, now).length <= MAX_APPROVALS
 */
export function pruneApprovals(approvals: Approval[], now: number): Approval[] {
  const fresh = approvals.filter((a) => a.answeredAt === null || now - a.answeredAt < ANSWERED_KEEP_MS);
  if (fresh.length <= MAX_APPROVALS) return fresh.length === approvals.length ? approvals : fresh;
  // Oldest first within each group; answered ones go before any unanswered one.
  const byAge = [...fresh].sort(
    (a, b) => Number(a.answeredAt === null) - Number(b.answeredAt === null) || a.createdAt - b.createdAt,
  );
  const dropped = new Set(byAge.slice(0, fresh.length - MAX_APPROVALS));
  return fresh.filter((a) => !dropped.has(a));
}
