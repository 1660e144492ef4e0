import { z } from "zod";
import type { InboundEvent } from "./inbound-event.ts";
import { chatIdOf } from "./triggers/chat.ts";

export const OnBusy = z.enum(["queue", "interrupt", "steer", "collect"]);

/**
 * What a recorded delivery asks its session to do, decided at ingress (commands, buttons, trigger rules)
 * and stored with the delivery in the same transaction, so it survives a restart before it is carried out.
 */
export const Intent = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("run"),
    ruleId: z.string(),
    workflowId: z.string(),
    /** Rendered input; the event payload when absent. */
    input: z.json().optional(),
    /** Chat runs are exclusive per session (at most one active); generic runs start at once. */
    exclusive: z.boolean(),
    onBusy: OnBusy.default("queue"),
    maxDepth: z.number().int().min(0).default(10),
    collectMs: z.number().int().min(0).default(1_500),
    maxDelayMs: z.number().int().min(0).default(5_000),
  }),
  z.object({ type: z.literal("command"), command: z.enum(["stop", "status", "help"]) }),
  /** An approval button press: `data` is the button id we sent (`hl:<token>:y|n`). */
  z.object({ type: z.literal("button"), data: z.string(), callbackId: z.string().optional() }),
  z.object({ type: z.literal("skip"), reason: z.string() }),
]);
export type Intent = z.infer<typeof Intent>;
export type RunIntent = Extract<Intent, { type: "run" }>;

/** The button ids Hookline sends for approvals: `hl:<token>:y` / `hl:<token>:n` (≤ 64 bytes for Telegram). */
export function approvalButtonId(token: string, approve: boolean): string {
  return `hl:${token}:${approve ? "y" : "n"}`;
}

export function parseApprovalButton(data: string): { token: string; approve: boolean } | undefined {
  const m = /^hl:([A-Za-z0-9_-]{6,40}):([yn])$/.exec(data);
  return m?.[1] && m[2] ? { token: m[1], approve: m[2] === "y" } : undefined;
}

/**
 * The chat a delivery belongs to, as the channel's sender addresses it: Telegram `chat.id`; WhatsApp
 * `<phone_number_id>/<wa_id>` (a reply needs both). Generic deliveries have none.
 */
export function chatTargetOf(event: InboundEvent): string | undefined {
  const chat = chatIdOf(event) ?? undefined;
  if (event.channel !== "whatsapp" || chat === undefined) return chat;
  const phone = (event.payload as { metadata?: { phone_number_id?: unknown } } | null)?.metadata
    ?.phone_number_id;
  return typeof phone === "string" ? `${phone}/${chat}` : undefined;
}
