import { z } from "zod";
import { DurationSchema } from "../core/duration.ts";
import { InboundEvent } from "../core/inbound-event.ts";
import { JsonSchema } from "../engine/json.ts";

/** Longest `match.text` pattern accepted, in characters. */
export const MAX_PATTERN_LENGTH = 1_000;

/** Chat and sender ids are compared as strings; YAML reads `-100123` as a number, so numbers are accepted too. */
const IdSchema = z.union([z.string().min(1), z.number().int()]).transform(String);

/** An allow/deny pair. An empty or absent `allow` admits everyone; `deny` always wins. */
const AccessListSchema = z.strictObject({
  allow: z.array(IdSchema).default([]),
  deny: z.array(IdSchema).default([]),
});

export const TriggerMatchSchema = z.strictObject({
  channel: InboundEvent.shape.channel.optional(),
  /** One source name or several; normalized to a list. */
  source: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .transform((v) => (typeof v === "string" ? [v] : v))
    .optional(),
  /**
   * A bot command, with or without its slash: "/ask" matches "/ask", "/ask@MyBot" and "/ask text" on Telegram,
   * and a leading word "ask" on WhatsApp, which has no slash commands. Compared case-insensitively.
   */
  command: z
    .string()
    .regex(/^\/?[A-Za-z0-9_]{1,32}$/, 'use a command like "/ask": letters, digits and _, at most 32')
    .optional(),
  /** An RE2 pattern searched for in `event.text` (the syntax CEL's `matches` uses, so matching stays linear). */
  text: z.string().min(1).max(MAX_PATTERN_LENGTH).optional(),
  chats: AccessListSchema.optional(),
  senders: AccessListSchema.optional(),
  /** A CEL expression over `{ event }` that must be `true`. */
  when: z.string().min(1).optional(),
});
export type TriggerMatch = z.infer<typeof TriggerMatchSchema>;

export const OnBusySchema = z.enum(["queue", "interrupt", "steer", "collect"]);
export type OnBusy = z.infer<typeof OnBusySchema>;

/**
 * One trigger rule: which inbound events start which workflow, and what happens when the conversation
 * already has a run (`onBusy`, carried out by the SessionObject).
 */
export const TriggerRuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-_]*$/, "use lowercase letters, digits, - and _"),
  /** Higher runs first; rules with equal priority keep their file order. */
  priority: z.number().int().default(0),
  /** Absent or empty matches every message from every source. */
  match: TriggerMatchSchema.prefault({}),
  workflow: z.string().min(1),
  /** Templates rendered against `{ event }`; without it the workflow's input is the event payload. */
  input: JsonSchema.optional(),
  onBusy: OnBusySchema.default("queue"),
  queue: z.strictObject({ maxDepth: z.number().int().min(1).max(1_000) }).optional(),
  collect: z.strictObject({ collectMs: DurationSchema, maxDelayMs: DurationSchema.optional() }).optional(),
});
export type TriggerRule = z.infer<typeof TriggerRuleSchema>;

export const TriggersSchema = z.array(TriggerRuleSchema);
export type Triggers = z.infer<typeof TriggersSchema>;
