import { z } from "zod";
import { BreachSchema, UsageSchema } from "./governor.ts";
import { JsonObjectSchema, JsonSchema } from "./json.ts";
import { RunErrorSchema, RunStatusSchema } from "./state.ts";

/** An `llm` step with its templates rendered: everything a worker needs for one attempt. */
export const ResolvedLlmSchema = z.object({
  kind: z.literal("llm"),
  model: z.string(),
  system: z.string().optional(),
  prompt: z.string().optional(),
  messages: z
    .array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() }))
    .optional(),
  maxOutputTokens: z.number().int().optional(),
  temperature: z.number().optional(),
  output: JsonObjectSchema.optional(),
  stream: z.boolean(),
  timeoutMs: z.number().int(),
});

export const ResolvedHttpSchema = z.object({
  kind: z.literal("http"),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: JsonSchema.optional(),
  timeoutMs: z.number().int(),
});

export const ResolvedStepSchema = z.discriminatedUnion("kind", [ResolvedLlmSchema, ResolvedHttpSchema]);
export type ResolvedStep = z.infer<typeof ResolvedStepSchema>;

/** Run one attempt of an I/O step on a worker, which reports `stepSucceeded`/`stepFailed` with `attemptId`. */
export const EnqueueStepEffectSchema = z.object({
  type: z.literal("enqueueStep"),
  stepId: z.string(),
  attempt: z.number().int().min(1),
  attemptId: z.string(),
  kind: z.enum(["llm", "http"]),
  resolved: ResolvedStepSchema,
  /** Epoch ms after which the worker should abort the attempt. */
  deadlineMs: z.number(),
});

export const TimerPurposeSchema = z.enum(["delay", "retry", "wait_timeout", "step_timeout"]);

/** Deliver `timerFired { timerId }` at `at` (epoch ms). Timer ids are unique per run. */
export const SetTimerEffectSchema = z.object({
  type: z.literal("setTimer"),
  timerId: z.string(),
  at: z.number(),
  purpose: TimerPurposeSchema,
});

/** The timer is no longer needed. Firing it anyway is harmless: the engine ignores it. */
export const CancelTimerEffectSchema = z.object({ type: z.literal("cancelTimer"), timerId: z.string() });

/** Abort an in-flight attempt through its AbortSignal; its late result will be ignored. */
export const AbortStepEffectSchema = z.object({
  type: z.literal("abortStep"),
  stepId: z.string(),
  attemptId: z.string(),
  reason: z.enum(["cancelled", "fail_fast", "timeout", "run_finished"]),
});

/** Send text back to the run's origin (chat, callback URL). */
export const ReplyEffectSchema = z.object({ type: z.literal("reply"), stepId: z.string(), text: z.string() });

/**
 * A wait step asks a person for input. Chat runs turn it into approval buttons (the session decides who may
 * press); other runs expose it through the resume API only.
 */
export const RequestApprovalEffectSchema = z.object({
  type: z.literal("requestApproval"),
  waitId: z.string(),
  stepId: z.string(),
  prompt: z.string().optional(),
  timeoutAt: z.number().optional(),
});

/** A wait step's deadline passed without input: the chat is told, the run takes its onTimeout path. */
export const WaitExpiredEffectSchema = z.object({
  type: z.literal("waitExpired"),
  waitId: z.string(),
  stepId: z.string(),
});

/** The run is over: whoever started it (a chat session) may start its next piece of work. */
export const FinishEffectSchema = z.object({
  type: z.literal("finish"),
  status: z.enum(["completed", "failed", "cancelled", "governor_breached"]),
  output: JsonSchema,
  error: RunErrorSchema.nullable(),
  /** Usage at the end, including a breached run's partial usage. */
  usage: UsageSchema,
});

/*
 * Audit events for the outbox. Payloads are snake_case because they are the wire format for
 * the EVENTS queue and Postgres; the runtime adds the event id, run id and schema version.
 */
const at = z.number();
const usage = z.object({
  input_tokens: z.number(),
  output_tokens: z.number(),
  cost_usd: z.number(),
  steps: z.number(),
});
const emit = <N extends string, D extends z.ZodType>(event: N, data: D) =>
  z.object({ type: z.literal("emit"), event: z.literal(event), data });

export const EmitEffectSchema = z.discriminatedUnion("event", [
  emit(
    "run.state",
    z.object({
      state: z.union([RunStatusSchema, z.enum(["started", "cancel_requested"])]),
      at,
      error: z.string().optional(),
      /** On `started`: the pinned workflow's version and the input's first 1,000 characters of JSON. */
      workflow_version: z.string().optional(),
      input_summary: z.string().optional(),
      /** On `started` of a retry: the step it starts at, and the steps whose outputs it reused. */
      retry_from: z.string().optional(),
      reused: z.array(z.string()).optional(),
      /** On a terminal state: the output (previewed when long) and the run's usage. */
      output: JsonSchema.optional(),
      usage: usage.optional(),
      wait: z
        .object({
          wait_id: z.string(),
          step_id: z.string(),
          prompt: z.string().optional(),
          schema: JsonObjectSchema.optional(),
          timeout_at: z.number().optional(),
        })
        .optional(),
    }),
  ),
  emit(
    "step.start",
    z.object({ step_id: z.string(), attempt_id: z.string(), attempt: z.number(), kind: z.string(), at }),
  ),
  emit(
    "step.finish",
    z.object({
      step_id: z.string(),
      attempt_id: z.string(),
      attempt: z.number(),
      kind: z.string(),
      status: z.enum(["succeeded", "failed", "retrying", "timed_out"]),
      at,
      latency_ms: z.number(),
      /** The llm step's model string, so tokens and cost can be told apart by model. */
      model: z.string().optional(),
      input_tokens: z.number().optional(),
      output_tokens: z.number().optional(),
      cost_usd: z.number().optional(),
      error: z.string().optional(),
      retry_at: z.number().optional(),
      capped: z.boolean().optional(),
      /** A succeeded step's output, previewed when long. */
      output: JsonSchema.optional(),
    }),
  ),
  emit("governor.breached", BreachSchema.extend({ at, usage })),
  emit("run.cancel", z.object({ source: z.string(), requested_at: z.number() })),
]);
export type EmitEffect = z.infer<typeof EmitEffectSchema>;

/** What the runtime must do after committing a transition, in order. */
export const EffectSchema = z.discriminatedUnion("type", [
  EnqueueStepEffectSchema,
  SetTimerEffectSchema,
  CancelTimerEffectSchema,
  AbortStepEffectSchema,
  ReplyEffectSchema,
  EmitEffectSchema,
  RequestApprovalEffectSchema,
  WaitExpiredEffectSchema,
  FinishEffectSchema,
]);
export type Effect = z.infer<typeof EffectSchema>;
export type EnqueueStepEffect = z.infer<typeof EnqueueStepEffectSchema>;
export type SetTimerEffect = z.infer<typeof SetTimerEffectSchema>;
export type FinishEffect = z.infer<typeof FinishEffectSchema>;
