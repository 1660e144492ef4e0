import { z } from "zod";
import type { InboundEvent } from "../core/inbound-event.ts";
import { chatIdOf } from "./triggers/chat.ts";

export const OnBusy = z.enum(["queue", "interrupt", "steer", "collect"]);

/** A delivery that starts a workflow run, with what to do when the chat already has one (`onBusy`). */
export const RunIntent = z.object({
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
});
export type RunIntent = z.infer<typeof RunIntent>;

/**
 * What a recorded delivery asks its session to do, decided at ingress (commands, buttons, trigger rules)
 * and stored with the delivery in the same transaction, so it survives a restart before it is carried out.
 */
export const Intent = z.discriminatedUnion("type", [
  RunIntent,
  z.object({ type: z.literal("command"), command: z.enum(["stop", "status", "help"]) }),
  /** An approval button press: `data` is the button id we sent (`hl:<token>:y|n`). */
  z.object({ type: z.literal("button"), data: z.string(), callbackId: z.string().optional() }),
  z.object({ type: z.literal("skip"), reason: z.string() }),
]);
export type Intent = z.infer<typeof Intent>;

/** An approval token: short enough that `hl:<token>:y` fits Telegram's 64-byte callback data. */
export const ApprovalToken = z.string().regex(/^[A-Za-z0-9_-]{6,40}$/);

/**
 * The button ids Hookline sends for approvals: `hl:<token>:y` / `hl:<token>:n` (≤ 64 bytes for Telegram).
 *
 * @example approvalButtonId("a1b2c3d4", true) // "hl:a1b2c3d4:y"
 */
export function approvalButtonId(token: string, approve: boolean): string {
  return `hl:${token}:${approve ? "y" : "n"}`;
}

/**
 * Reads a button id back; anything we did not send (or a malformed token) is `undefined`.
 *
 * @example parseApprovalButton("hl:a1b2c3d4:n") // { token: "a1b2c3d4", approve: false }
 */
export function parseApprovalButton(data: string): { token: string; approve: boolean } | undefined {
  const m = /^hl:([A-Za-z0-9_-]{6,40}):([yn])$/.exec(data);
  return m?.[1] && m[2] ? { token: m[1], approve: m[2] === "y" } : undefined;
}

/**
 * The chat a delivery belongs to, as the channel's sender addresses it: Telegram `chat.id`; WhatsApp
 * `<phone_number_id>/<wa_id>` (a reply needs both). Generic deliveries have none.
 *
 * @example chatTargetOf(whatsAppEvent) // "106540352242922/4915112345678"
 */
export function chatTargetOf(event: InboundEvent): string | undefined {
  const chat = chatIdOf(event) ?? undefined;
  if (event.channel !== "whatsapp" || chat === undefined) return chat;
  const phone = (event.payload as { metadata?: { phone_number_id?: unknown } } | null)?.metadata
    ?.phone_number_id;
  return typeof phone === "string" ? `${phone}/${chat}` : undefined;
}
