import type { HooklineConfig } from "../config/schema.ts";
import type { Secrets } from "../core/secrets.ts";
import { toStepError } from "../engine/errors/to-step-error.ts";
import type { StepMessage, StepOutcome } from "../engine/messages.ts";
import { executeStep } from "./execute.ts";
import { usageOf } from "./failure.ts";

/** What running one attempt needs from its host, inline in a RunObject or on a queue worker. */
export interface AttemptDeps {
  config: HooklineConfig;
  secrets: Secrets;
  outboundFetch: typeof fetch;
}

/**
 * Runs one attempt of one step and reports how it went: the same code for the queued path (a STEPS
 * worker) and the inline path (the RunObject itself). The signal is cancel only: the executors enforce the
 * step's own timeout and report it as one.
 *
 * @example
 * const report = await runAttempt(message, res, controller.signal);
 * await run.stepFinished(message.stepId, message.attemptId, report);
 */
export async function runAttempt(
  m: StepMessage,
  deps: AttemptDeps,
  signal: AbortSignal,
  onText?: (textSoFar: string) => void,
): Promise<StepOutcome> {
  const startedAt = Date.now();
  try {
    const result = await executeStep(m.resolved, {
      config: deps.config,
      secrets: deps.secrets,
      outboundFetch: deps.outboundFetch,
      signal,
      extraMessages: m.extraMessages,
      streamTo: m.streamTo,
      onText,
    });
    return { ok: true, ...result, startedAt, finishedAt: Date.now() };
  } catch (err) {
    const usage = usageOf(err);
    return {
      ok: false,
      error: toStepError(err),
      ...(usage && { usage }),
      aborted: signal.aborted,
      startedAt,
      finishedAt: Date.now(),
    };
  }
}
