import type { HooklineConfig, Source } from "../config/schema.ts";
import type { InboundEvent } from "../core/inbound-event.ts";
import type { Intent } from "../core/intent.ts";
import { commandOf, matchTrigger, wordCommandOf } from "../core/triggers/index.ts";

type ChatSource = Extract<Source, { channel: "telegram" | "whatsapp" }>;

/** A generic delivery starts its source's workflow at once, if it has one (no sessions, no onBusy). */
export function genericIntent(sourceName: string, source: Source): Intent | undefined {
  if (!source.workflow) return undefined;
  return {
    type: "run",
    ruleId: `source:${sourceName}`,
    workflowId: source.workflow,
    exclusive: false,
    onBusy: "queue",
    maxDepth: 10,
    collectMs: 1_500,
    maxDelayMs: 5_000,
  };
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

/**
 * What a chat message asks for, in order: an approval button press, a command (/stop, /status,
 * /start, /help, or WhatsApp's words), a trigger rule, the source's own `workflow`, or nothing.
 */
export function chatIntent(
  config: HooklineConfig,
  sourceName: string,
  source: ChatSource,
  event: InboundEvent,
): Intent {
  if (event.kind === "status") return { type: "skip", reason: "not_a_message" };
  const button = buttonData(event);
  if (button) return { type: "button", ...button };
  const payload = event.payload as { edited_message?: unknown };
  if (source.channel === "telegram" && payload?.edited_message && !source.chat.editedMessages) {
    return { type: "skip", reason: "edited_message" };
  }
  if (source.channel === "telegram") {
    const command = commandOf(event.text, { botUsername: source.botUsername })?.name;
    if (command === "stop" || command === "status") return { type: "command", command };
    if (command === "start" || command === "help") return { type: "command", command: "help" };
  } else {
    const word = wordCommandOf(event.text)?.name;
    const text = (event.text ?? "").trim().toLowerCase();
    if (source.chat.stopWords.includes(text)) return { type: "command", command: "stop" };
    if (source.chat.statusWords.includes(text)) return { type: "command", command: "status" };
    if (word === "help" && text === "help") return { type: "command", command: "help" };
  }
  const matched =
    config.triggers.length > 0
      ? matchTrigger(config.triggers, event, {
          botUsername: source.channel === "telegram" ? source.botUsername : undefined,
        })
      : undefined;
  if (matched?.matched) {
    const { rule } = matched;
    return {
      type: "run",
      ruleId: rule.id,
      workflowId: rule.workflow,
      input: rule.input === undefined ? undefined : matched.input,
      exclusive: true,
      onBusy: rule.onBusy,
      maxDepth: rule.queue?.maxDepth ?? 10,
      collectMs: rule.collect?.collectMs ?? 1_500,
      maxDelayMs: rule.collect?.maxDelayMs ?? rule.collect?.collectMs ?? 5_000,
    };
  }
  if (source.workflow) {
    return {
      type: "run",
      ruleId: `source:${sourceName}`,
      workflowId: source.workflow,
      exclusive: true,
      onBusy: "queue",
      maxDepth: 10,
      collectMs: 1_500,
      maxDelayMs: 5_000,
    };
  }
  return { type: "skip", reason: matched ? matched.decision.data.reason : "no_rule" };
}
