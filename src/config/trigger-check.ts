import { z } from "zod";
import { checkExpression } from "../engine/expr.ts";
import type { Json } from "../engine/json.ts";
import { checkPattern } from "../engine/regex.ts";
import { checkTemplate } from "../engine/template.ts";
import type { TriggerRule } from "./trigger-schema.ts";

export const TriggerIssueSchema = z.object({
  /** Printable, e.g. "triggers[2].match.text". */
  path: z.string(),
  /** The same path as keys, for `ctx.addIssue({ path })` in the config schema. */
  segments: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
export type TriggerIssue = z.infer<typeof TriggerIssueSchema>;

type Segments = TriggerIssue["segments"];

function format(segments: Segments): string {
  return segments.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
}

/**
 * Checks what the schema cannot see alone: workflow names, unique ids, RE2 patterns, CEL expressions,
 * input templates and the `onBusy` options. Run it at config load so a typo fails there, with its path,
 * rather than as a silent `reaction.skip` at message time.
 *
 * @example
 * checkTriggers(TriggersSchema.parse(yaml.triggers), Object.keys(yaml.workflows));
 * // [{ path: "triggers[2].match.text", segments: ["triggers", 2, "match", "text"], message: "invalid pattern: …" }]
 */
export function checkTriggers(
  triggers: readonly TriggerRule[],
  workflowIds: readonly string[],
): TriggerIssue[] {
  const issues: TriggerIssue[] = [];
  const report = (segments: Segments, message: string) =>
    issues.push({ path: format(segments), segments, message });
  const firstAt = new Map<string, number>();
  for (const [i, rule] of triggers.entries()) {
    const at = (...keys: Segments): Segments => ["triggers", i, ...keys];
    const first = firstAt.get(rule.id);
    if (first === undefined) firstAt.set(rule.id, i);
    else report(at("id"), `duplicate trigger id "${rule.id}" (first used at triggers[${first}])`);
    if (!workflowIds.includes(rule.workflow)) {
      report(
        at("workflow"),
        `no workflow "${rule.workflow}"; define it under workflows: or fix the name (known: ${workflowIds.join(", ") || "none"})`,
      );
    }
    if (rule.match.text !== undefined) {
      const error = checkPattern(rule.match.text);
      if (error)
        report(at("match", "text"), `invalid RE2 pattern (no lookaround or backreferences): ${error}`);
    }
    if (rule.match.when !== undefined) {
      const error = checkExpression(rule.match.when);
      if (error) report(at("match", "when"), `invalid expression: ${error}`);
    }
    if (rule.input !== undefined) checkInput(rule.input, at("input"), report);
    checkOnBusy(rule, at, report);
  }
  return issues;
}

function checkOnBusy(
  rule: TriggerRule,
  at: (...keys: Segments) => Segments,
  report: (segments: Segments, message: string) => void,
): void {
  if (rule.onBusy === "collect" && !rule.collect) {
    report(at("collect"), "onBusy: collect needs collect: { collectMs } (the window that gathers messages)");
  }
  if (rule.collect && rule.onBusy !== "collect") {
    report(at("collect"), `collect: only applies to onBusy: collect (this rule has onBusy: ${rule.onBusy})`);
  }
  if (rule.queue && rule.onBusy !== "queue") {
    report(at("queue"), `queue: only applies to onBusy: queue (this rule has onBusy: ${rule.onBusy})`);
  }
  const { collectMs, maxDelayMs } = rule.collect ?? {};
  if (collectMs !== undefined && collectMs <= 0) report(at("collect", "collectMs"), "must be more than 0");
  if (collectMs !== undefined && maxDelayMs !== undefined && maxDelayMs < collectMs) {
    report(at("collect", "maxDelayMs"), `must be at least collectMs (${collectMs} ms)`);
  }
}

function checkInput(value: Json, at: Segments, report: (segments: Segments, message: string) => void): void {
  if (typeof value === "string") {
    const error = checkTemplate(value);
    if (error) report(at, `invalid template: ${error}`);
  } else if (Array.isArray(value)) {
    for (const [i, element] of value.entries()) checkInput(element, [...at, i], report);
  } else if (value !== null && typeof value === "object") {
    for (const [key, element] of Object.entries(value)) checkInput(element, [...at, key], report);
  }
}
