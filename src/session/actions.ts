import { z } from "zod";
import { ChatSettings, MessageRef } from "./message-ref.ts";
import { QueuedItem, SessionState } from "./state.ts";

/**
 * What the host carries out, in order, after it has committed the new state. Each action that has a result
 * the session cares about names the input to feed back: startRun → runStarted, cancelRun with
 * then "stop" → stopped, steer refused → steerRefused, resume → resumed.
 */
export const SessionAction = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("startRun"),
    runId: z.string(),
    workflowId: z.string(),
    /** The intent's rendered input; undefined means "the event payload" (the host has the event). */
    input: z.json().optional(),
    message: MessageRef,
    exclusive: z.boolean(),
  }),
  z.object({
    type: z.literal("cancelRun"),
    runId: z.string(),
    /** Who asked, for the run's audit trail: "telegram:/stop", "whatsapp:interrupt", … */
    source: z.string(),
    requestedAt: z.number(),
    /** "stop": feed back `stopped` with the latency; "interrupt": nothing to feed back. */
    then: z.enum(["stop", "interrupt"]),
    message: MessageRef,
    chat: ChatSettings,
  }),
  z.object({ type: z.literal("steer"), runId: z.string(), text: z.string(), item: QueuedItem }),
  z.object({
    type: z.literal("resume"),
    runId: z.string(),
    stepId: z.string(),
    approved: z.boolean(),
    token: z.string(),
    callbackId: z.string().optional(),
    message: MessageRef,
  }),
  z.object({ type: z.literal("reply"), target: z.string(), text: z.string() }),
  z.object({
    type: z.literal("sendButtons"),
    target: z.string(),
    text: z.string(),
    buttons: z.array(z.object({ id: z.string(), title: z.string() })),
  }),
  /** Telegram's answerCallbackQuery: the small notice on the pressed button. */
  z.object({ type: z.literal("answerButton"), callbackId: z.string(), text: z.string() }),
  z.object({ type: z.literal("typing"), target: z.string() }),
  /** WhatsApp read receipt, with "typing…" when the message starts work. Best effort. */
  z.object({ type: z.literal("markRead"), target: z.string(), messageId: z.string(), typing: z.boolean() }),
  /** The collect window's close; the host keeps one alarm and feeds `collectWindowClosed` when it fires. */
  z.object({ type: z.literal("setTimer"), at: z.number() }),
]);
export type SessionAction = z.infer<typeof SessionAction>;

/** What `decide` returns: the state to commit, and the actions to carry out after the commit, in order. */
export const Decision = z.object({ state: SessionState, actions: z.array(SessionAction) });
export type Decision = z.infer<typeof Decision>;

/**
 * A reply to a chat, or nothing when the message has no chat (generic deliveries).
 *
 * @example actions.push(...replyTo(message.target, texts.idle))
 */
export function replyTo(target: string | null, text: string): SessionAction[] {
  return target === null ? [] : [{ type: "reply", target, text }];
}
