import type { HooklineConfig } from "../config/schema.ts";
import { redactSecrets, secretValuesOf } from "../core/redact-secrets.ts";
import type { Secrets } from "../core/secrets.ts";
import { toStepError } from "../engine/errors/to-step-error.ts";
import type { StepMessage, StepOutcome } from "../engine/messages.ts";
import { cuttableFetch } from "./cut-fetch.ts";
import { executeStep } from "./execute.ts";
import { usageOf } from "./failure.ts";

/** What running one attempt needs from its host, inline in a RunObject or on a queue worker. */
export interface AttemptDeps {
  config: HooklineConfig;
  secrets: Secrets;
  outboundFetch: typeof fetch;
  /**
   * A model fetch whose connection `cut` closes at once, if the host has a cheaper way than fetch's own
   * abort (Node: src/node/net/cut-fetch.ts). Default: `cuttableFetch(fetch, cut)`.
   */
  cutFetch?: (cut: AbortSignal) => typeof fetch;
}

/**
 * Runs one attempt of one step and reports how it went: the same code for the queued path (a STEPS
 * worker) and the inline path (the RunObject itself). The signal is cancel only: the executors enforce the
 * step's own timeout and report it as one. A failure's message has every secret value masked.
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
  /** Closes a model connection ahead of `signal` (src/steps/cut-fetch.ts). */
  cut?: AbortSignal,
): Promise<StepOutcome> {
  const startedAt = Date.now();
  try {
    const result = await executeStep(m.resolved, {
      config: deps.config,
      secrets: deps.secrets,
      outboundFetch: deps.outboundFetch,
      signal,
      // A cut closes the model connection at once, ahead of `signal` (which must follow).
      ...(cut && { modelFetch: deps.cutFetch?.(cut) ?? cuttableFetch(fetch, cut) }),
      extraMessages: m.extraMessages,
      streamTo: m.streamTo,
      onText,
    });
    return { ok: true, ...result, startedAt, finishedAt: Date.now() };
  } catch (err) {
    const usage = usageOf(err);
    const error = toStepError(err);
    // An upstream may echo what it was sent (an API key in a proxy's 401, a token in a URL): the error goes
    // into the trace, the run's events, history and logs, so no configured secret may survive in it.
    error.message = redactSecrets(error.message, secretValuesOf(deps.config, deps.secrets));
    return {
      ok: false,
      error,
      ...(usage && { usage }),
      aborted: signal.aborted,
      startedAt,
      finishedAt: Date.now(),
    };
  }
}
