import type { Decision, SessionAction } from "./actions.ts";
import { onButton } from "./approvals.ts";
import { collectMessage } from "./collect.ts";
import { onCommand } from "./commands.ts";
import type { ActiveFacts, MessageInput } from "./inputs.ts";
import { isFinished, onExclusiveMessage, startRunAction } from "./runs.ts";
import type { QueuedItem, SessionState } from "./state.ts";

/**
 * The active run as the host found it: a run that finished without telling us (its notice was lost), or
 * that the host could not find, must not keep the chat busy forever. Facts about another run count as none.
 */
function settleActive(state: SessionState, facts: ActiveFacts | null): SessionState {
  const { active } = state;
  if (!active) return state;
  if (facts && facts.runId === active.runId && !isFinished(facts.status)) return state;
  return { ...state, active: null };
}

/** WhatsApp: every inbound message is marked read, with "typing…" when it asks for a run. */
function markRead(input: MessageInput): SessionAction[] {
  const { channel, target, messageId } = input.message;
  if (channel !== "whatsapp" || target === null || messageId === null) return [];
  return [{ type: "markRead", target, messageId, typing: input.intent.type === "run" }];
}

function route(state: SessionState, input: MessageInput): Decision {
  const { intent, message, now } = input;
  switch (intent.type) {
    case "skip":
      return { state, actions: [] };
    case "command":
      return onCommand(state, input, intent.command);
    case "button":
      return onButton(state, input, intent.data, intent.callbackId);
    case "run": {
      // MessageInput's schema requires runId (and collectRunId for collect); the fallbacks keep this total.
      const item: QueuedItem = { runId: input.runId ?? input.deliveryKey, intent, message };
      // Generic sources have no conversation to keep exclusive: their runs start at once, side by side.
      if (!intent.exclusive) return { state, actions: [startRunAction(item, false)] };
      if (intent.onBusy === "collect")
        return collectMessage(state, item, input.collectRunId ?? item.runId, now);
      return onExclusiveMessage(state, item, input.chat, now);
    }
  }
}

/**
 * One recorded delivery's intent: settle a stale active run, mark WhatsApp messages read, then run,
 * command or button.
 *
 * @example onMessage(initialSessionState(), { type: "message", intent: runIntent, runId: "run_1", … })
 */
export function onMessage(state: SessionState, input: MessageInput): Decision {
  const decided = route(settleActive(state, input.active), input);
  return { state: decided.state, actions: [...markRead(input), ...decided.actions] };
}
