import { z } from "zod";
import type { InboundEvent } from "../core/inbound-event.ts";
import { chatTargetOf } from "./intent-schema.ts";

/**
 * What the session keeps of a delivery: enough to answer in its chat and to build a run's input, without
 * the payload (the host still has the full event in its ledger for as long as the delivery is retained).
 */
export const MessageRef = z.object({
  deliveryKey: z.string(),
  channel: z.enum(["telegram", "whatsapp", "generic"]),
  source: z.string(),
  text: z.string().nullable(),
  senderId: z.string().nullable(),
  /** Kept so a collected batch lists each sender as `{ id, name }`, as the run input always did. */
  senderName: z.string().nullable(),
  /** ISO time the delivery was received. */
  receivedAt: z.iso.datetime(),
  /** `chatTargetOf(event)`: where replies go; null for generic deliveries. */
  target: z.string().nullable(),
  /** The WhatsApp message id (wamid), for the read receipt; null elsewhere. */
  messageId: z.string().nullable(),
});
export type MessageRef = z.infer<typeof MessageRef>;

/** The part of a source's `chat` config block the session needs. */
export const ChatSettings = z.object({ helpText: z.string(), stopClearsQueue: z.boolean() });
export type ChatSettings = z.infer<typeof ChatSettings>;

/**
 * The session's view of an inbound event.
 *
 * @example
 * messageRefOf(telegramEvent).target // "123456" (the chat id)
 * messageRefOf(whatsAppEvent).messageId // "wamid.HBgL..."
 */
export function messageRefOf(event: InboundEvent): MessageRef {
  const wamid =
    event.channel === "whatsapp"
      ? (event.payload as { message?: { id?: unknown } } | null)?.message?.id
      : undefined;
  return {
    deliveryKey: event.deliveryKey,
    channel: event.channel,
    source: event.source,
    text: event.text ?? null,
    senderId: event.sender?.id ?? null,
    senderName: event.sender?.name ?? null,
    receivedAt: event.receivedAt,
    target: chatTargetOf(event) ?? null,
    messageId: typeof wamid === "string" ? wamid : null,
  };
}
