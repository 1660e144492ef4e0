import { z } from "zod";
import type { Limits } from "./workflow-schema.ts";

/** USD per 1M tokens, per model string (`openai:gpt-4o-mini`). Comes from config at run start. */
export const PriceSchema = z.object({ inputPer1M: z.number().min(0), outputPer1M: z.number().min(0) });
export const PriceTableSchema = z.record(z.string(), PriceSchema);
export type PriceTable = z.infer<typeof PriceTableSchema>;

/** What a run has consumed so far. Kept in state even when the run ends in a breach. */
export const UsageSchema = z.object({
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  costUsd: z.number().min(0),
  steps: z.number().int().min(0),
});
export type Usage = z.infer<typeof UsageSchema>;

/** Token counts a step worker reports for one attempt; `costUsd` overrides the price table. */
export const StepUsageSchema = z.object({
  inputTokens: z.number().int().min(0).default(0),
  outputTokens: z.number().int().min(0).default(0),
  costUsd: z.number().min(0).optional(),
});
export type StepUsage = z.infer<typeof StepUsageSchema>;

export const BreachSchema = z.object({
  limit: z.enum(["maxTokens", "maxCostUsd", "maxSteps", "maxDurationMs"]),
  max: z.number(),
  value: z.number(),
});
export type Breach = z.infer<typeof BreachSchema>;

export const EMPTY_USAGE: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, steps: 0 };

/**
 * The cost of one attempt. A model missing from the table costs 0: the built-in `echo`
 * model and local Ollama models are free, and a missing price should not stop a run.
 *
 * @example
 * costOf("openai:gpt-4o-mini", { inputTokens: 1000, outputTokens: 500 }, prices);
 */
export function costOf(model: string | null, usage: StepUsage, prices: PriceTable): number {
  if (usage.costUsd !== undefined) return usage.costUsd;
  const price = model === null ? undefined : prices[model];
  if (!price) return 0;
  return (usage.inputTokens * price.inputPer1M + usage.outputTokens * price.outputPer1M) / 1_000_000;
}

/**
 * Adds one attempt's usage to the run's total.
 *
 * @example
 * addUsage(EMPTY_USAGE, "echo", { inputTokens: 10, outputTokens: 5 }, {});
 */
export function addUsage(total: Usage, model: string | null, usage: StepUsage, prices: PriceTable): Usage {
  return {
    inputTokens: total.inputTokens + usage.inputTokens,
    outputTokens: total.outputTokens + usage.outputTokens,
    costUsd: total.costUsd + costOf(model, usage, prices),
    steps: total.steps,
  };
}

/**
 * Checks the budgets before a step (or a retry attempt) starts. A limit is breached once the
 * run has used all of it, since the next step can only add more. `startingStep` is false for
 * a retry, which is the same step and so does not count against `maxSteps`.
 *
 * @example
 * checkLimits({ maxSteps: 3 }, { ...EMPTY_USAGE, steps: 3 }, 0, 10, true);
 * // { limit: "maxSteps", max: 3, value: 3 }
 */
export function checkLimits(
  limits: Limits | undefined,
  usage: Usage,
  startedAt: number,
  now: number,
  startingStep: boolean,
): Breach | undefined {
  if (!limits) return undefined;
  const tokens = usage.inputTokens + usage.outputTokens;
  if (limits.maxTokens !== undefined && tokens >= limits.maxTokens) {
    return { limit: "maxTokens", max: limits.maxTokens, value: tokens };
  }
  if (limits.maxCostUsd !== undefined && usage.costUsd >= limits.maxCostUsd) {
    return { limit: "maxCostUsd", max: limits.maxCostUsd, value: usage.costUsd };
  }
  if (startingStep && limits.maxSteps !== undefined && usage.steps >= limits.maxSteps) {
    return { limit: "maxSteps", max: limits.maxSteps, value: usage.steps };
  }
  const elapsed = now - startedAt;
  if (limits.maxDurationMs !== undefined && elapsed >= limits.maxDurationMs) {
    return { limit: "maxDurationMs", max: limits.maxDurationMs, value: elapsed };
  }
  return undefined;
}
