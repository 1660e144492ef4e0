import { type Decision, replyTo } from "./actions.ts";
import type { InputOf, MessageInput } from "./inputs.ts";
import { startNextQueued } from "./runs.ts";
import type { SessionState } from "./state.ts";
import { texts } from "./texts.ts";

type Command = "stop" | "status" | "help";

/**
 * /help, /status and /stop (or WhatsApp's words). Generic sources have no chat to answer in.
 * `input.active` has already been checked against `state.active` (see decide's stale-active rule).
 *
 * @example onCommand(state, input, "status").actions // [{ type: "reply", text: texts.idle }]
 */
export function onCommand(state: SessionState, input: MessageInput, command: Command): Decision {
  const { message, chat, now } = input;
  if (message.channel === "generic") return { state, actions: [] };
  const { active, queue } = state;
  switch (command) {
    case "help":
      return { state, actions: replyTo(message.target, chat.helpText) };
    case "status": {
      if (!active)
        return {
          state,
          actions: replyTo(message.target, queue.length > 0 ? texts.idleWaiting(queue.length) : texts.idle),
        };
      const facts = input.active;
      const seconds = facts ? Math.round((now - facts.startedAt) / 100) / 10 : 0;
      const text = texts.working(facts?.currentStep ?? undefined, seconds, queue.length);
      return { state, actions: replyTo(message.target, text) };
    }
    case "stop": {
      const kept = chat.stopClearsQueue ? { ...state, queue: [] } : state;
      if (!active) return { state: kept, actions: replyTo(message.target, texts.nothingToStop) };
      // The cancel latency is measured from when the person sent /stop, not from when we got to it.
      const cancel = {
        type: "cancelRun" as const,
        runId: active.runId,
        source: `${message.channel}:/stop`,
        requestedAt: Date.parse(message.receivedAt),
        then: "stop" as const,
        message,
        chat,
      };
      return { state: { ...kept, active: null }, actions: [cancel] };
    }
  }
}

/**
 * The cancel from /stop is committed: confirm with its latency, then (unless /stop cleared the queue) the
 * next queued message starts.
 *
 * @example onStopped(state, { type: "stopped", now, runId, latencyMs: 42, message, chat }) // reply texts.stoppedAfter(42)
 */
export function onStopped(state: SessionState, input: InputOf<"stopped">): Decision {
  const confirm = replyTo(input.message.target, texts.stoppedAfter(input.latencyMs));
  // Something else may have become active since (a host that interleaves inputs); never start a second run.
  if (input.chat.stopClearsQueue || state.active) return { state, actions: confirm };
  const next = startNextQueued(state, input.now);
  return { state: next.state, actions: [...confirm, ...next.actions] };
}
