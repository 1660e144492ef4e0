import type { HooklineConfig, Source } from "../config/schema.ts";
import type { InboundEvent } from "../core/inbound-event.ts";
import type { Intent, RunIntent } from "./intent-schema.ts";
import {
  commandOf,
  matchTrigger,
  type ReactionMatch,
  type ReactionSkip,
  wordCommandOf,
} from "./triggers/index.ts";

type ChatSource = Extract<Source, { channel: "telegram" | "whatsapp" }>;

/** A chat message's intent, plus the trigger decision to record (reaction.match / reaction.skip). */
export interface ChatDecision {
  intent: Intent;
  decision?: ReactionMatch | ReactionSkip;
}

function runIntent(
  ruleId: string,
  workflowId: string,
  exclusive: boolean,
  extra: Partial<RunIntent> = {},
): RunIntent {
  return {
    type: "run",
    ruleId,
    workflowId,
    exclusive,
    onBusy: "queue",
    maxDepth: 10,
    collectMs: 1_500,
    maxDelayMs: 5_000,
    ...extra,
  };
}

/** A generic delivery starts its source's workflow at once, if it has one (no sessions, no onBusy). */
export function genericIntent(sourceName: string, source: Source): Intent | undefined {
  return source.workflow ? runIntent(`source:${sourceName}`, source.workflow, false) : undefined;
}

function buttonData(event: InboundEvent): { data: string; callbackId?: string } | undefined {
  const p = event.payload as {
    callback_query?: { id?: string; data?: string };
    message?: { interactive?: { button_reply?: { id?: string } } };
  };
  if (p?.callback_query?.data?.startsWith("hl:"))
    return { data: p.callback_query.data, callbackId: p.callback_query.id };
  const id = p?.message?.interactive?.button_reply?.id;
  return id?.startsWith("hl:") ? { data: id } : undefined;
}

function commandIntent(source: ChatSource, event: InboundEvent): Intent | undefined {
  if (source.channel === "telegram") {
    const command = commandOf(event.text, { botUsername: source.botUsername })?.name;
    if (command === "stop" || command === "status") return { type: "command", command };
    if (command === "start" || command === "help") return { type: "command", command: "help" };
    return undefined;
  }
  const text = (event.text ?? "").trim().toLowerCase();
  if (source.chat.stopWords.includes(text)) return { type: "command", command: "stop" };
  if (source.chat.statusWords.includes(text)) return { type: "command", command: "status" };
  if (wordCommandOf(event.text)?.name === "help" && text === "help")
    return { type: "command", command: "help" };
  return undefined;
}

/**
 * What a chat message asks for, in order: an approval button press, a command (/stop, /status,
 * /start, /help, or WhatsApp's words), a trigger rule, the source's own `workflow`, or nothing (acked and
 * recorded as skipped, never an error toward the sender).
 */
export function chatIntent(
  config: HooklineConfig,
  sourceName: string,
  source: ChatSource,
  event: InboundEvent,
): ChatDecision {
  if (event.kind === "status") return { intent: { type: "skip", reason: "not_a_message" } };
  const button = buttonData(event);
  if (button) return { intent: { type: "button", ...button } };
  const payload = event.payload as { edited_message?: unknown };
  if (source.channel === "telegram" && payload?.edited_message && !source.chat.editedMessages) {
    return { intent: { type: "skip", reason: "edited_message" } };
  }
  const command = commandIntent(source, event);
  if (command) return { intent: command };
  const botUsername = source.channel === "telegram" ? source.botUsername : undefined;
  const matched =
    config.triggers.length > 0 ? matchTrigger(config.triggers, event, { botUsername }) : undefined;
  if (matched?.matched) {
    const { rule } = matched;
    const intent = runIntent(rule.id, rule.workflow, true, {
      input: rule.input === undefined ? undefined : matched.input,
      onBusy: rule.onBusy,
      maxDepth: rule.queue?.maxDepth ?? 10,
      collectMs: rule.collect?.collectMs ?? 1_500,
      maxDelayMs: rule.collect?.maxDelayMs ?? rule.collect?.collectMs ?? 5_000,
    });
    return { intent, decision: matched.decision };
  }
  const sender = event.sender?.id ?? null;
  if (source.workflow) {
    const ruleId = `source:${sourceName}`;
    return {
      intent: runIntent(ruleId, source.workflow, true),
      decision: {
        event: "reaction.match",
        data: {
          rule: ruleId,
          channel: event.channel,
          source: sourceName,
          sender,
          filters: "source workflow",
        },
      },
    };
  }
  const skip: ReactionSkip =
    matched && !matched.matched
      ? matched.decision
      : {
          event: "reaction.skip",
          data: { reason: "no_rule", candidates: 0, channel: event.channel, source: sourceName, sender },
        };
  return { intent: { type: "skip", reason: skip.data.reason }, decision: skip };
}
