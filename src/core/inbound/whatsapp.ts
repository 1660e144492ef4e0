import { z } from "zod";
import type { InboundEvent } from "../inbound-event.ts";

const WaMessage = z.looseObject({
  from: z.string(),
  id: z.string().min(1), // the wamid: Meta reuses it on every retry, for up to 7 days
  timestamp: z.string(),
  type: z.string(),
  text: z.looseObject({ body: z.string() }).optional(),
  interactive: z
    .looseObject({
      type: z.string(),
      button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
    })
    .optional(),
  button: z.looseObject({ text: z.string(), payload: z.string().optional() }).optional(),
});

const WaStatus = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.string(),
  recipient_id: z.string(),
});

const Value = z.looseObject({
  messaging_product: z.literal("whatsapp"),
  metadata: z.looseObject({ phone_number_id: z.string(), display_phone_number: z.string().optional() }),
  contacts: z
    .array(z.looseObject({ wa_id: z.string(), profile: z.looseObject({ name: z.string() }).optional() }))
    .optional(),
  messages: z.array(WaMessage).optional(),
  statuses: z.array(WaStatus).optional(),
});

/** A WhatsApp Cloud API webhook: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components */
export const WhatsAppWebhook = z.looseObject({
  object: z.literal("whatsapp_business_account"),
  entry: z.array(
    z.looseObject({
      id: z.string(),
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
    }),
  ),
});
export type WhatsAppWebhook = z.infer<typeof WhatsAppWebhook>;

export type NormalizeResult =
  | { ok: true; events: InboundEvent[] }
  | { ok: false; path: string; message: string };

/**
 * Splits one POST into deliveries: each message is its own delivery keyed by wamid; each status is
 * recorded as a `status` event (never a run). Changes other than `messages` are ignored.
 */
export function normalizeWhatsApp(
  source: string,
  body: WhatsAppWebhook,
  receivedAt: string,
): NormalizeResult {
  const events: InboundEvent[] = [];
  for (const [e, entry] of body.entry.entries()) {
    for (const [c, change] of entry.changes.entries()) {
      if (change.field !== "messages") continue;
      const parsed = Value.safeParse(change.value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const tail =
          issue?.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("") ?? "";
        return {
          ok: false,
          path: `entry[${e}].changes[${c}].value${tail}`,
          message: issue?.message ?? "invalid",
        };
      }
      const value = parsed.data;
      const phone = value.metadata.phone_number_id;
      const names = new Map(value.contacts?.map((ct) => [ct.wa_id, ct.profile?.name]));
      for (const m of value.messages ?? []) {
        events.push({
          kind: "message",
          channel: "whatsapp",
          source,
          deliveryKey: `${source}:${m.id}`,
          sessionKey: `wa:${source}:${phone}:${m.from}`,
          sender: { id: m.from, name: names.get(m.from) },
          text:
            m.text?.body ??
            m.interactive?.button_reply?.title ??
            m.interactive?.list_reply?.title ??
            m.button?.text,
          payload: { message: m, metadata: value.metadata },
          receivedAt,
        });
      }
      for (const s of value.statuses ?? []) {
        events.push({
          kind: "status",
          channel: "whatsapp",
          source,
          deliveryKey: `${source}:status:${s.id}:${s.status}`,
          sessionKey: `wa:${source}:${phone}:${s.recipient_id}`,
          sender: { id: s.recipient_id },
          payload: { status: s, metadata: value.metadata },
          receivedAt,
        });
      }
    }
  }
  return { ok: true, events };
}
