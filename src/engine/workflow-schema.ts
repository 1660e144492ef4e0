import { z } from "zod";
import { DurationSchema } from "../core/duration.ts";
import { MAX_EXPRESSION_LENGTH } from "./expr.ts";
import { JsonObjectSchema, JsonSchema } from "./json.ts";
import { RetryPolicySchema } from "./retry.ts";
import { checkWorkflow, formatPath } from "./workflow-check.ts";

/**
 * Step ids are CEL identifiers so that `steps.<id>.output` works in expressions. A leading
 * `__` is reserved: ids become object keys, and `__proto__` must never be one.
 */
export const StepIdSchema = z
  .string()
  .regex(
    /^(?!__)[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    "use letters, digits and _ (so `steps.<id>` works in expressions)",
  );
/** A CEL expression, e.g. `steps.classify.output.label == 'spam'`. */
export const ExprSchema = z.string().min(1).max(MAX_EXPRESSION_LENGTH);
/** A string with `{{ expr }}` placeholders. */
export const TemplateSchema = z.string();

/** Upper bound on loop iterations and parallel fan-out, whatever a workflow asks for. */
export const MAX_FANOUT = 1_000;

export const LlmStepSchema = z
  .strictObject({
    id: StepIdSchema,
    kind: z.literal("llm"),
    /** `echo`, `openai:gpt-4o-mini`, `ollama:llama3.2`… switching provider is this one line. */
    model: z.string().min(1),
    system: TemplateSchema.optional(),
    prompt: TemplateSchema.optional(),
    messages: z
      .array(z.strictObject({ role: z.enum(["system", "user", "assistant"]), content: TemplateSchema }))
      .optional(),
    maxOutputTokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    /** A JSON Schema: the step then returns a structured object instead of text. */
    output: JsonObjectSchema.optional(),
    stream: z.boolean().default(false),
    timeout: DurationSchema.default(120_000),
    retry: RetryPolicySchema.prefault({}),
  })
  .refine((s) => s.prompt !== undefined || (s.messages?.length ?? 0) > 0, {
    message: "an llm step needs a prompt or messages",
    path: ["prompt"],
  });

export const HttpStepSchema = z.strictObject({
  id: StepIdSchema,
  kind: z.literal("http"),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("GET"),
  url: TemplateSchema.min(1),
  headers: z.record(z.string(), TemplateSchema).optional(),
  /** A template string, or JSON whose strings are templates. */
  body: JsonSchema.optional(),
  timeout: DurationSchema.default(30_000),
  retry: RetryPolicySchema.prefault({}),
});

export const TransformStepSchema = z.strictObject({
  id: StepIdSchema,
  kind: z.literal("transform"),
  set: z
    .record(StepIdSchema, ExprSchema)
    .refine((set) => Object.keys(set).length > 0, "set at least one value"),
});

export const BranchStepSchema = z.strictObject({
  id: StepIdSchema,
  kind: z.literal("branch"),
  cases: z.array(z.strictObject({ when: ExprSchema, goto: StepIdSchema })).min(1),
  default: StepIdSchema.optional(),
});

export const WaitStepSchema = z
  .strictObject({
    id: StepIdSchema,
    kind: z.literal("wait"),
    prompt: TemplateSchema.optional(),
    /** A JSON Schema the resume body must satisfy. */
    schema: JsonObjectSchema.optional(),
    timeout: DurationSchema.optional(),
    onTimeout: StepIdSchema.optional(),
  })
  .refine((s) => s.onTimeout === undefined || s.timeout !== undefined, {
    message: "onTimeout needs a timeout",
    path: ["onTimeout"],
  });

export const DelayStepSchema = z.strictObject({
  id: StepIdSchema,
  kind: z.literal("delay"),
  duration: DurationSchema,
});

export const ReplyStepSchema = z.strictObject({
  id: StepIdSchema,
  kind: z.literal("reply"),
  text: TemplateSchema,
});

// Loop and parallel shape rules (forEach XOR until, branches XOR forEach) are checked in
// workflow-check.ts: a refinement here would make these recursive types circular for tsc.
export const LoopStepSchema = z.strictObject({
  id: StepIdSchema,
  kind: z.literal("loop"),
  forEach: ExprSchema.optional(),
  until: ExprSchema.optional(),
  maxIterations: z.number().int().min(1).max(MAX_FANOUT),
  get steps() {
    return z.array(StepSchema).min(1);
  },
});

export const ParallelStepSchema = z.strictObject({
  id: StepIdSchema,
  kind: z.literal("parallel"),
  get branches() {
    return z.record(StepIdSchema, z.array(StepSchema).min(1)).optional();
  },
  forEach: ExprSchema.optional(),
  /** How many `forEach` items run at once. */
  concurrency: z.number().int().min(1).max(MAX_FANOUT).default(10),
  get steps() {
    return z.array(StepSchema).min(1).optional();
  },
  /** Fail the parallel step at the first failure and abort the rest, instead of waiting for all. */
  failFast: z.boolean().default(false),
});

const STEP_KINDS = "llm, http, transform, branch, loop, parallel, wait, delay, reply";

export const StepSchema = z.discriminatedUnion(
  "kind",
  [
    LlmStepSchema,
    HttpStepSchema,
    TransformStepSchema,
    BranchStepSchema,
    LoopStepSchema,
    ParallelStepSchema,
    WaitStepSchema,
    DelayStepSchema,
    ReplyStepSchema,
  ],
  { error: (issue) => (issue.code === "invalid_union" ? `kind must be one of ${STEP_KINDS}` : undefined) },
);
export type Step = z.infer<typeof StepSchema>;
export type StepKind = Step["kind"];
export type LlmStep = z.infer<typeof LlmStepSchema>;
export type HttpStep = z.infer<typeof HttpStepSchema>;
export type LoopStep = z.infer<typeof LoopStepSchema>;
export type ParallelStep = z.infer<typeof ParallelStepSchema>;
export type WaitStep = z.infer<typeof WaitStepSchema>;

/** Budgets the usage governor enforces before every step. */
export const LimitsSchema = z.strictObject({
  maxTokens: z.number().int().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
  maxSteps: z.number().int().positive().optional(),
  maxDurationMs: DurationSchema.optional(),
});
export type Limits = z.infer<typeof LimitsSchema>;

/**
 * A workflow definition. Parsing also checks what a per-field schema cannot: unique step ids,
 * `goto`/`onTimeout` targets, and the syntax of every expression and template.
 */
export const WorkflowSchema = z
  .strictObject({
    id: z.string().min(1),
    version: z.union([z.string(), z.number()]).optional(),
    description: z.string().optional(),
    limits: LimitsSchema.optional(),
    steps: z.array(StepSchema).min(1),
  })
  .superRefine(checkWorkflow);
export type Workflow = z.infer<typeof WorkflowSchema>;
export type WorkflowInput = z.input<typeof WorkflowSchema>;

/** A config problem, with the path to the offending field. */
export const WorkflowIssueSchema = z.object({ path: z.string(), message: z.string() });
export type WorkflowIssue = z.infer<typeof WorkflowIssueSchema>;

/**
 * Parses a workflow and, on failure, returns issues whose paths start at `prefix`, so
 * config errors can read `workflows.triage.steps[3].cases[0].goto: no step "reply" …`.
 *
 * @example
 * const result = parseWorkflow(yaml.workflows.triage, "workflows.triage");
 * if (!result.ok) for (const i of result.issues) console.error(`${i.path}: ${i.message}`);
 */
export function parseWorkflow(
  input: unknown,
  prefix = "",
): { ok: true; workflow: Workflow } | { ok: false; issues: WorkflowIssue[] } {
  const parsed = WorkflowSchema.safeParse(input);
  if (parsed.success) return { ok: true, workflow: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      path: formatPath(issue.path, prefix),
      message: issue.message,
    })),
  };
}
