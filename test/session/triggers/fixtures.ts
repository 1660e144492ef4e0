import { type TriggerRule, TriggersSchema } from "../../../src/config/trigger-schema.ts";
import type { InboundEvent } from "../../../src/core/inbound-event.ts";

const receivedAt = "2025-01-01T00:00:00.000Z";

/** A Telegram text message in `chat` from user `from`, shaped like normalizeTelegram's output. */
export function telegramText(text: string, opts: { chat?: number; from?: number; source?: string } = {}) {
  const { chat = 123, from = 42, source = "demo-bot" } = opts;
  return {
    kind: "message",
    channel: "telegram",
    source,
    deliveryKey: `${source}:1`,
    sessionKey: `tg:${source}:chat:${chat}`,
    sender: { id: String(from), name: "Ada" },
    text,
    payload: {
      update_id: 1,
      message: { message_id: 7, date: 1, chat: { id: chat, type: "private" }, from: { id: from }, text },
    },
    receivedAt,
  } satisfies InboundEvent;
}

/** A WhatsApp text message from `from`, shaped like normalizeWhatsApp's output. */
export function whatsAppText(text: string, opts: { from?: string; source?: string } = {}) {
  const { from = "15550001", source = "demo-wa" } = opts;
  return {
    kind: "message",
    channel: "whatsapp",
    source,
    deliveryKey: `${source}:wamid.1`,
    sessionKey: `wa:${source}:111:${from}`,
    sender: { id: from },
    text,
    payload: { message: { from, id: "wamid.1", timestamp: "1", type: "text", text: { body: text } } },
    receivedAt,
  } satisfies InboundEvent;
}

export function whatsAppStatus(): InboundEvent {
  return {
    kind: "status",
    channel: "whatsapp",
    source: "demo-wa",
    deliveryKey: "demo-wa:status:wamid.1:read",
    sessionKey: "wa:demo-wa:111:15550001",
    sender: { id: "15550001" },
    payload: { status: { id: "wamid.1", status: "read" } },
    receivedAt,
  };
}

export function genericEvent(payload: unknown, source = "orders"): InboundEvent {
  return {
    kind: "event",
    channel: "generic",
    source,
    deliveryKey: `${source}:msg_1`,
    sessionKey: `in:${source}:ledger:3`,
    payload,
    receivedAt,
  };
}

/** Parses rules the way config does, filling defaults; `workflow` defaults to "chat". */
export function rules(...raw: Record<string, unknown>[]): TriggerRule[] {
  return TriggersSchema.parse(raw.map((r) => ({ workflow: "chat", ...r })));
}
