/**
 * The pure workflow engine: `advance(state, event) → { state, effects }` plus the schemas at
 * its edges. Runtimes (the RunObject on Workers, the in-process actor on Node) import from here.
 */

export { DurationSchema, parseDuration } from "../core/duration.ts";
export { type AdvanceOptions, advance } from "./advance.ts";
export { type ExprContext, ExprContextSchema, type StepRecord, StepRecordSchema } from "./context.ts";
export * from "./effects.ts";
export { NonRetriableError } from "./errors/non-retriable-error.ts";
export { RetryAfterError, retryAfterMs } from "./errors/retry-after-error.ts";
export { toStepError } from "./errors/to-step-error.ts";
export * from "./events.ts";
export {
  checkExpression,
  type ExprResult,
  evaluate,
  MAX_EXPRESSION_LENGTH,
  MAX_RESULT_CHARS,
} from "./expr.ts";
export { MAX_ITERATIONS } from "./expr-budget.ts";
export * from "./governor.ts";
export { type Json, type JsonObject, JsonObjectSchema, JsonSchema } from "./json.ts";
export { validateJson } from "./json-schema.ts";
export { retrySeed } from "./relaunch.ts";
export { checkResume, type ResumeCheck } from "./resume.ts";
export * from "./retry.ts";
export * from "./state.ts";
export { STEP_TIMEOUT_GRACE_MS } from "./step-start.ts";
export { checkTemplate, renderTemplate, renderValue } from "./template.ts";
export { formatPath } from "./workflow-check.ts";
export * from "./workflow-schema.ts";
