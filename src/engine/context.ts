import { z } from "zod";
import { JsonSchema } from "./json.ts";

/** What a finished step leaves for later expressions: `steps.<id>.output` and a few flags. */
export const StepRecordSchema = z.object({
  output: JsonSchema,
  /** A loop that stopped at `maxIterations` before its `until` held. */
  capped: z.boolean().optional(),
  /** A wait that ended by its timeout rather than a resume. */
  timedOut: z.boolean().optional(),
});
export type StepRecord = z.infer<typeof StepRecordSchema>;

/** The variables every expression and template can read. */
export const ExprContextSchema = z.object({
  input: JsonSchema,
  event: JsonSchema,
  steps: z.record(z.string(), StepRecordSchema),
  run: z.object({ id: z.string(), workflow: z.string(), startedAt: z.number() }),
  /** The current element inside a `forEach` loop or parallel; `null` elsewhere. */
  item: JsonSchema,
  /** The 0-based iteration inside a loop or parallel `forEach`; `null` elsewhere. */
  index: z.number().nullable(),
});
export type ExprContext = z.infer<typeof ExprContextSchema>;
