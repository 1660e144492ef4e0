import { z } from "zod";
import { InboundEvent } from "../../core/inbound-event.ts";

const Channel = InboundEvent.shape.channel;

/**
 * Why no rule took an event, in increasing order of how far the closest rule got: a rule's channel and
 * source make it a candidate; then its command and text (`filtered`); then its chat and sender lists
 * (`denied`); then its `when` expression and input mapping (`expression_false`, `expression_error`).
 */
export const SkipReasonSchema = z.enum([
  "not_a_message",
  "no_rule",
  "filtered",
  "denied",
  "expression_false",
  "expression_error",
]);
export type SkipReason = z.infer<typeof SkipReasonSchema>;

/** Audit event for an event a rule took. Shaped like the engine's `emit` effects: `{ event, data }`. */
export const ReactionMatchSchema = z.object({
  event: z.literal("reaction.match"),
  data: z.object({
    rule: z.string(),
    channel: Channel,
    source: z.string(),
    sender: z.string().nullable(),
    /** What the rule required, e.g. "command=/ask text~refund"; "any" when it required nothing. */
    filters: z.string(),
  }),
});
export type ReactionMatch = z.infer<typeof ReactionMatchSchema>;

/** Audit event for an event no rule took. It is acked all the same: a skip is never an error to the sender. */
export const ReactionSkipSchema = z.object({
  event: z.literal("reaction.skip"),
  data: z.object({
    reason: SkipReasonSchema,
    /** Rules whose channel and source fit the event. */
    candidates: z.number().int().nonnegative(),
    channel: Channel,
    source: z.string(),
    sender: z.string().nullable(),
  }),
});
export type ReactionSkip = z.infer<typeof ReactionSkipSchema>;
