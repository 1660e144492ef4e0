import { configFor } from "../config/runtime.ts";
import type { ResolvedStep } from "../engine/effects.ts";
import type { Json } from "../engine/json.ts";
import type { Env } from "../env.ts";
import { executeHttpStep } from "../steps/http.ts";
import { executeLlmStep } from "../steps/llm.ts";

export interface StepResult {
  output: Json;
  usage?: { inputTokens: number; outputTokens: number };
  provider?: string;
  model?: string;
}

/**
 * Runs one resolved I/O step. The signal is wired here for every kind, so no workflow author has to
 * remember it: cancel and the step deadline both abort the outbound call.
 */
export async function executeStep(
  step: ResolvedStep,
  ctx: { env: Env; signal: AbortSignal },
): Promise<StepResult> {
  if (step.kind === "llm") {
    const r = await executeLlmStep(step, { env: ctx.env, fetch, signal: ctx.signal });
    return { output: r.output, usage: r.usage, provider: r.provider, model: r.model };
  }
  const allowHosts = configFor(ctx.env.HOOKLINE_ENV).http.allowHosts;
  const r = await executeHttpStep(step, { fetch, signal: ctx.signal, allowHosts });
  return { output: r.output };
}
