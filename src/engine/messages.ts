import { z } from "zod";
import { chunkByJsonSize } from "./chunk.ts";
import { ResolvedStepSchema } from "./effects.ts";

/** One step attempt on the STEPS queue. At-least-once in; the RunObject applies each attemptId once. */
export const StepMessage = z.object({
  v: z.literal(1),
  runId: z.string().min(1),
  stepId: z.string(),
  attempt: z.number().int().min(1),
  attemptId: z.string(),
  resolved: ResolvedStepSchema,
  deadlineMs: z.number(),
  enqueuedAt: z.number(),
  /** Messages steered into the run while it was busy; appended to an llm step's messages. */
  extraMessages: z.array(z.object({ role: z.literal("user"), content: z.string() })).optional(),
  /** Stream this llm step into the chat it answers (edits as tokens arrive). */
  streamTo: z.object({ source: z.string(), target: z.string() }).optional(),
});
export type StepMessage = z.infer<typeof StepMessage>;

/**
 * An audit event on the EVENTS queue. Versioned; `id` is stable across redeliveries so consumers
 * (the run index now, Postgres later) apply each event once.
 */
export const EventEnvelope = z.object({
  v: z.literal(1),
  id: z.string(),
  type: z.string(),
  runId: z.string().nullable(),
  workflowId: z.string().nullable(),
  source: z.string().nullable(),
  deliveryKey: z.string().nullable(),
  at: z.number(),
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/**
 * Every event one outbox flush produced, as one EVENTS message: a queue message is billed (write, read,
 * delete) however small, and a transition emits several events.
 */
export const EventBatch = z.object({ v: z.literal(1), events: z.array(EventEnvelope).min(1) });
export type EventBatch = z.infer<typeof EventBatch>;

/**
 * A queue message holds at most 128 KB. Counting UTF-16 units, 40,000 keeps even all-multibyte text under
 * that; events carry previews, not whole outputs, so a batch rarely needs more than one message.
 */
const MAX_BATCH_CHARS = 40_000;

/** Events as EVENTS messages: one per ~40 K characters of JSON, order kept. */
export function eventBatches(events: readonly EventEnvelope[]): EventBatch[] {
  return chunkByJsonSize(events, MAX_BATCH_CHARS).map((chunk) => ({ v: 1, events: chunk }));
}

/** What a step worker reports for one attempt. */
export const StepReport = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    output: z.json(),
    usage: z
      .object({ inputTokens: z.number().int().min(0), outputTokens: z.number().int().min(0) })
      .optional(),
    provider: z.string().optional(),
    model: z.string().optional(),
    startedAt: z.number(),
    finishedAt: z.number(),
  }),
  z.object({
    ok: z.literal(false),
    error: z.object({
      message: z.string(),
      retriable: z.boolean(),
      retryAfterMs: z.number().int().min(0).optional(),
      status: z.number().int().optional(),
    }),
    /** Tokens the failed call still consumed (a stream cut off mid-way), as its provider reported them. */
    usage: z
      .object({ inputTokens: z.number().int().min(0), outputTokens: z.number().int().min(0) })
      .optional(),
    /** The attempt was aborted because the run was cancelled (or the step was abandoned). */
    aborted: z.boolean().default(false),
    startedAt: z.number(),
    finishedAt: z.number(),
  }),
]);
export type StepReport = z.input<typeof StepReport>;
/** A report as checked (or as built by the attempt runner, which fills every default). */
export type StepOutcome = z.output<typeof StepReport>;
