import type { StepError } from "../retry.ts";
import { isRetriableStatus } from "../retry.ts";
import { NonRetriableError } from "./non-retriable-error.ts";
import { RetryAfterError } from "./retry-after-error.ts";

/**
 * Maps whatever a step executor threw onto the `stepFailed` error payload, so executors can
 * throw naturally and the engine's retry policy sees one shape.
 *
 * @example
 * try { await run() } catch (e) { report({ type: "stepFailed", error: toStepError(e), ... }) }
 */
export function toStepError(error: unknown): StepError {
  if (error instanceof NonRetriableError)
    return withStatus({ message: error.message, retriable: false }, error.status);
  if (error instanceof RetryAfterError) {
    return withStatus(
      { message: error.message, retriable: true, retryAfterMs: error.retryAfterMs },
      error.status,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  const status = readStatus(error);
  return withStatus({ message, retriable: status === undefined || isRetriableStatus(status) }, status);
}

function withStatus(error: StepError, status: number | undefined): StepError {
  return status === undefined ? error : { ...error, status };
}

// Provider SDK errors (AI SDK's APICallError and friends) carry `statusCode`; fetch wrappers use `status`.
function readStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const record = error as { status?: unknown; statusCode?: unknown };
  const status = record.statusCode ?? record.status;
  return typeof status === "number" ? status : undefined;
}
