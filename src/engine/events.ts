import { z } from "zod";
import { StepRecordSchema } from "./context.ts";
import { PriceTableSchema, StepUsageSchema } from "./governor.ts";
import { JsonSchema } from "./json.ts";
import { StepErrorSchema } from "./retry.ts";
import { WorkflowSchema } from "./workflow-schema.ts";

/** Every event carries the time it happened: the engine never reads a clock. */
const now = z.number();

/**
 * Where a retried run starts: the root thread's cursor at the step that failed, and the outputs of the
 * top-level steps before it (reused, not run again). See `retrySeed` (src/engine/relaunch.ts).
 */
export const RetrySeedSchema = z.object({
  pc: z.number().int().min(0),
  outputs: z.record(z.string(), StepRecordSchema),
  last: JsonSchema,
  /** The step the retry starts at (for the trace and `run.state`). */
  fromStep: z.string(),
});
export type RetrySeed = z.infer<typeof RetrySeedSchema>;

export const StartEventSchema = z.object({
  type: z.literal("start"),
  runId: z.string().min(1),
  /** The definition to pin for this run's whole life. */
  workflow: WorkflowSchema,
  input: JsonSchema.default(null),
  /** The normalized inbound event that triggered the run, readable as `event` in expressions. */
  event: JsonSchema.default(null),
  prices: PriceTableSchema.default({}),
  /** A retry: start at a failed step with the earlier steps' outputs (a fresh run has none). */
  seed: RetrySeedSchema.optional(),
  now,
});

export const StepSucceededEventSchema = z.object({
  type: z.literal("stepSucceeded"),
  stepId: z.string(),
  attempt: z.number().int().min(1),
  attemptId: z.string(),
  output: JsonSchema,
  usage: StepUsageSchema.optional(),
  now,
});

export const StepFailedEventSchema = z.object({
  type: z.literal("stepFailed"),
  stepId: z.string(),
  attempt: z.number().int().min(1),
  attemptId: z.string(),
  error: StepErrorSchema,
  /** Tokens a failed call still consumed (a stream cut off mid-way); they count against the budget. */
  usage: StepUsageSchema.optional(),
  now,
});

export const TimerFiredEventSchema = z.object({ type: z.literal("timerFired"), timerId: z.string(), now });

export const CancelRequestedEventSchema = z.object({
  type: z.literal("cancelRequested"),
  /** Who asked: `api`, `telegram:/stop`, `admin:alice`… recorded in `run.cancel`. */
  source: z.string().min(1),
  now,
});

export const ResumedEventSchema = z.object({
  type: z.literal("resumed"),
  /** Which wait to resume; defaults to the only (or oldest) waiting step. */
  waitId: z.string().optional(),
  stepId: z.string().optional(),
  input: JsonSchema,
  now,
});

/** Everything that can happen to a run. The runtime validates at its boundary and calls `advance`. */
export const EngineEventSchema = z.discriminatedUnion("type", [
  StartEventSchema,
  StepSucceededEventSchema,
  StepFailedEventSchema,
  TimerFiredEventSchema,
  CancelRequestedEventSchema,
  ResumedEventSchema,
]);
export type EngineEvent = z.infer<typeof EngineEventSchema>;
export type StartEvent = z.infer<typeof StartEventSchema>;
export type StepSucceededEvent = z.infer<typeof StepSucceededEventSchema>;
export type StepFailedEvent = z.infer<typeof StepFailedEventSchema>;
export type TimerFiredEvent = z.infer<typeof TimerFiredEventSchema>;
export type CancelRequestedEvent = z.infer<typeof CancelRequestedEventSchema>;
export type ResumedEvent = z.infer<typeof ResumedEventSchema>;
