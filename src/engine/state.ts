import { z } from "zod";
import { StepRecordSchema } from "./context.ts";
import { PriceTableSchema, UsageSchema } from "./governor.ts";
import { JsonSchema } from "./json.ts";
import { WorkflowSchema } from "./workflow-schema.ts";

/*
 * A run is a tree of threads. The root thread walks `workflow.steps`; a loop iteration or a
 * parallel lane is a child thread walking the composite step's body. A thread's `block` says
 * what it waits for, and is the single source of truth for which attempt, timer or resume
 * the run will accept next: anything that does not match a block is stale and is ignored.
 */

/** An `llm`/`http` attempt is out with a worker. */
export const AttemptBlockSchema = z.object({
  type: z.literal("attempt"),
  stepId: z.string(),
  kind: z.enum(["llm", "http"]),
  attempt: z.number().int().min(1),
  attemptId: z.string(),
  startedAt: z.number(),
  timeoutTimerId: z.string(),
  model: z.string().nullable(),
});
export type AttemptBlock = z.infer<typeof AttemptBlockSchema>;

/** Backing off before `attempt` (the next attempt number) starts. */
export const RetryBlockSchema = z.object({
  type: z.literal("retry"),
  stepId: z.string(),
  attempt: z.number().int().min(2),
  timerId: z.string(),
});

export const DelayBlockSchema = z.object({
  type: z.literal("delay"),
  stepId: z.string(),
  startedAt: z.number(),
  timerId: z.string(),
});

export const WaitBlockSchema = z.object({
  type: z.literal("wait"),
  stepId: z.string(),
  startedAt: z.number(),
  waitId: z.string(),
  timerId: z.string().nullable(),
});
export type WaitBlock = z.infer<typeof WaitBlockSchema>;

/** A loop runs one child thread per iteration, one after another. */
export const LoopBlockSchema = z.object({
  type: z.literal("loop"),
  stepId: z.string(),
  startedAt: z.number(),
  iteration: z.number().int().min(0),
  /** The evaluated `forEach` list, or null for an `until` loop. */
  items: z.array(JsonSchema).nullable(),
  results: z.array(JsonSchema),
});
export type LoopBlock = z.infer<typeof LoopBlockSchema>;

/** A parallel step runs one child thread per lane and joins them in lane order. */
export const ParallelBlockSchema = z.object({
  type: z.literal("parallel"),
  stepId: z.string(),
  startedAt: z.number(),
  /** Branch names for named branches, or null for `forEach`. */
  names: z.array(z.string()).nullable(),
  items: z.array(JsonSchema).nullable(),
  lanes: z.number().int().min(0),
  next: z.number().int().min(0),
  running: z.number().int().min(0),
  settled: z.number().int().min(0),
  results: z.array(JsonSchema),
  failures: z.array(z.object({ lane: z.number().int(), message: z.string() })),
});
export type ParallelBlock = z.infer<typeof ParallelBlockSchema>;

export const BlockSchema = z.discriminatedUnion("type", [
  AttemptBlockSchema,
  RetryBlockSchema,
  DelayBlockSchema,
  WaitBlockSchema,
  LoopBlockSchema,
  ParallelBlockSchema,
]);
export type Block = z.infer<typeof BlockSchema>;

/** Which step list a thread walks: the root list, a loop/forEach body, or a named branch. */
export const ScopeSchema = z.object({ stepId: z.string(), branch: z.string().nullable() }).nullable();
export type Scope = z.infer<typeof ScopeSchema>;

export const ThreadSchema = z.object({
  /** "" for the root; `loop1[2]`, `fanout[0]/loop1[1]`, `par.left` for children. */
  id: z.string(),
  parentId: z.string().nullable(),
  /** Position within the parent's loop or parallel step. */
  lane: z.number().int().min(0).nullable(),
  scope: ScopeSchema,
  pc: z.number().int().min(0),
  /** `item`/`index` for expressions in this thread; null inherits the parent's. */
  vars: z.object({ item: JsonSchema, index: z.number().int() }).nullable(),
  outputs: z.record(z.string(), StepRecordSchema),
  /** The output of the last step this thread finished: a loop iteration's or lane's result. */
  last: JsonSchema,
  block: BlockSchema.nullable(),
});
export type Thread = z.infer<typeof ThreadSchema>;

export const RunStatusSchema = z.enum([
  "running",
  "waiting",
  "completed",
  "failed",
  "cancelled",
  "governor_breached",
]);
export type RunStatus = z.infer<typeof RunStatusSchema>;
export const FINISHED: readonly RunStatus[] = ["completed", "failed", "cancelled", "governor_breached"];

export const RunErrorSchema = z.object({
  message: z.string(),
  stepId: z.string().optional(),
  attemptId: z.string().optional(),
});
export type RunError = z.infer<typeof RunErrorSchema>;

/** The whole state of one run: plain JSON, stored by the runtime after every transition. */
export const RunStateSchema = z.object({
  v: z.literal(1),
  runId: z.string(),
  /** The definition pinned at start, so editing config never changes a run in flight. */
  workflow: WorkflowSchema,
  input: JsonSchema,
  event: JsonSchema,
  prices: PriceTableSchema,
  startedAt: z.number(),
  status: RunStatusSchema,
  threads: z.record(z.string(), ThreadSchema),
  usage: UsageSchema,
  /** Step results that matched no outstanding attempt (stale, repeated, late after cancel). */
  ignoredResults: z.number().int().min(0),
  /** Timers, resumes and other events that matched nothing. */
  ignoredEvents: z.number().int().min(0),
  output: JsonSchema,
  error: RunErrorSchema.nullable(),
  cancel: z.object({ source: z.string(), requestedAt: z.number() }).nullable(),
  finishedAt: z.number().nullable(),
  /** A retried run: the steps whose outputs it took from the run it retries (they did not run again). */
  reused: z.array(z.string()).optional(),
});
export type RunState = z.infer<typeof RunStateSchema>;
