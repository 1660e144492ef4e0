import type { TriggerRule } from "../../config/trigger-schema.ts";
import type { InboundEvent } from "../../core/inbound-event.ts";
import type { ExprContext } from "../../engine/context.ts";
import { evaluate } from "../../engine/expr.ts";
import type { Json } from "../../engine/json.ts";
import { searchText } from "../../engine/regex.ts";
import { renderValue } from "../../engine/template.ts";
import { chatIdOf } from "./chat.ts";
import { type Command, commandName, commandOfEvent } from "./command.ts";
import type { ReactionMatch, ReactionSkip, SkipReason } from "./decision.ts";

export { chatIdOf } from "./chat.ts";
export { commandOf, commandOfEvent, wordCommandOf } from "./command.ts";

export type TriggerResult =
  | { matched: true; rule: TriggerRule; input: Json; decision: ReactionMatch }
  | { matched: false; decision: ReactionSkip };

type Failure = Exclude<SkipReason, "not_a_message" | "no_rule">;
type Attempt = { ok: true; input: Json; filters: string } | { ok: false; reason: Failure };

/** How far a rule got before failing; the skip reports the candidate that got furthest. */
const RANK: Record<Failure, number> = { filtered: 1, denied: 2, expression_false: 3, expression_error: 4 };

/** What one match looks at, computed once per event rather than once per rule. */
interface Probe {
  event: InboundEvent;
  command: Command | null;
  chat: string | null;
  sender: string | null;
  view: Json;
}

/**
 * Picks the rule that starts a run for an event. Rules are tried by descending `priority`, file order
 * breaking ties, and the first that passes every filter wins. Nothing here throws: a failing expression
 * or input template only rules out its own rule, and the decision is the audit event to record.
 *
 * `when` and `input` templates see `event`: the InboundEvent plus `event.chat` (see `chatIdOf`) and
 * `event.command` (`{ name, bot, args }` or null), so `"{{ event.command.args }}"` is the text after `/ask`.
 *
 * @example
 * const result = matchTrigger(config.triggers, event, { botUsername: "MyBot" });
 * if (result.matched) startRun(result.rule.workflow, result.input);
 * record(result.decision); // reaction.match or reaction.skip
 */
export function matchTrigger(
  rules: readonly TriggerRule[],
  event: InboundEvent,
  opts: { botUsername?: string } = {},
): TriggerResult {
  const ordered = rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index)
    .map(({ rule }) => rule);
  const candidates = ordered.filter((rule) => isCandidate(rule, event));
  const sender = event.sender?.id ?? null;
  const skip = (reason: SkipReason): TriggerResult => ({
    matched: false,
    decision: {
      event: "reaction.skip",
      data: { reason, candidates: candidates.length, channel: event.channel, source: event.source, sender },
    },
  });
  // Delivery receipts are recorded by ingress; they never start a run, whatever the rules say.
  if (event.kind === "status") return skip("not_a_message");
  if (candidates.length === 0) return skip("no_rule");

  const command = commandOfEvent(event, opts);
  const chat = chatIdOf(event);
  const probe: Probe = { event, command, chat, sender, view: toJson({ ...event, chat, command }) };
  let furthest: Failure = "filtered";
  for (const rule of candidates) {
    const attempt = tryRule(rule, probe);
    if (attempt.ok) {
      return {
        matched: true,
        rule,
        input: attempt.input,
        decision: {
          event: "reaction.match",
          data: {
            rule: rule.id,
            channel: event.channel,
            source: event.source,
            sender,
            filters: attempt.filters,
          },
        },
      };
    }
    if (RANK[attempt.reason] > RANK[furthest]) furthest = attempt.reason;
  }
  return skip(furthest);
}

function isCandidate(rule: TriggerRule, event: InboundEvent): boolean {
  const { channel, source } = rule.match;
  return (!channel || channel === event.channel) && (!source || source.includes(event.source));
}

function tryRule(rule: TriggerRule, probe: Probe): Attempt {
  const { match } = rule;
  const filters: string[] = [];
  if (match.command) {
    const name = commandName(match.command);
    if (probe.command?.name !== name) return { ok: false, reason: "filtered" };
    filters.push(`command=/${name}`);
  }
  if (match.text) {
    if (probe.event.text === undefined) return { ok: false, reason: "filtered" };
    const found = searchText(probe.event.text, match.text);
    if (!found.ok) return { ok: false, reason: "expression_error" };
    if (found.value !== true) return { ok: false, reason: "filtered" };
    filters.push(`text~${clip(match.text)}`);
  }
  if (match.chats) {
    if (!admits(match.chats, probe.chat)) return { ok: false, reason: "denied" };
    filters.push(`chat=${probe.chat ?? "none"}`);
  }
  if (match.senders) {
    if (!admits(match.senders, probe.sender)) return { ok: false, reason: "denied" };
    filters.push(`sender=${probe.sender ?? "none"}`);
  }
  const ctx = contextFor(rule, probe);
  if (match.when) {
    const result = evaluate(match.when, ctx);
    // Only a boolean decides; anything else is a mistake in the rule, reported as an error.
    if (!result.ok || typeof result.value !== "boolean") return { ok: false, reason: "expression_error" };
    if (!result.value) return { ok: false, reason: "expression_false" };
    filters.push("when");
  }
  const input =
    rule.input === undefined
      ? { ok: true as const, value: payloadOf(probe.event) }
      : renderValue(rule.input, ctx);
  if (!input.ok) return { ok: false, reason: "expression_error" };
  return { ok: true, input: input.value, filters: filters.join(" ") || "any" };
}

/** `deny` always wins; a non-empty `allow` admits only its ids, so an event without an id is refused. */
function admits(list: { allow: string[]; deny: string[] }, id: string | null): boolean {
  if (id !== null && list.deny.includes(id)) return false;
  return list.allow.length === 0 || (id !== null && list.allow.includes(id));
}

function contextFor(rule: TriggerRule, probe: Probe): ExprContext {
  return {
    input: null,
    event: probe.view,
    steps: {},
    run: { id: "", workflow: rule.workflow, startedAt: Date.parse(probe.event.receivedAt) || 0 },
    item: null,
    index: null,
  };
}

function payloadOf(event: InboundEvent): Json {
  return toJson(event.payload ?? null);
}

/** Payloads come from parsed JSON; the round trip drops `undefined` fields, which CEL cannot hold. */
function toJson(value: unknown): Json {
  try {
    return (JSON.parse(JSON.stringify(value) ?? "null") as Json) ?? null;
  } catch {
    return null;
  }
}

function clip(pattern: string): string {
  return pattern.length > 60 ? `${pattern.slice(0, 57)}...` : pattern;
}
