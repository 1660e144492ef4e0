import { z } from "zod";

/**
 * Every ingress normalizes to this one shape. `deliveryKey` is the dedup key (namespaced by source);
 * `sessionKey` names the conversation whose SessionObject keeps the delivery.
 */
export const InboundEvent = z.object({
  /** message: something a person or system said; status: a delivery receipt (recorded, never a run). */
  kind: z.enum(["message", "status", "event"]),
  channel: z.enum(["telegram", "whatsapp", "generic"]),
  source: z.string().min(1),
  deliveryKey: z.string().min(1).max(512),
  sessionKey: z.string().min(1).max(512),
  sender: z.object({ id: z.string(), name: z.string().optional() }).optional(),
  text: z.string().optional(),
  payload: z.unknown(),
  receivedAt: z.iso.datetime(),
});
export type InboundEvent = z.infer<typeof InboundEvent>;
