import { NonRetriableError } from "../engine/errors/non-retriable-error.ts";
import { RetriableStepError } from "../engine/errors/retriable-step-error.ts";
import { RetryAfterError, retryAfterMs } from "../engine/errors/retry-after-error.ts";
import { isRetriableStatus } from "../engine/retry.ts";

/**
 * Maps a failed upstream status onto the error the retry policy understands:
 * 429/503 with `Retry-After` → `RetryAfterError`; 408, 429 and 5xx → `RetriableStepError`;
 * any other 4xx → `NonRetriableError`. Shared by the `http` step and provider errors in `llm`.
 *
 * @example
 * throw statusError(429, new Headers({ "retry-after": "2" }), "openai:gpt-4o-mini returned 429", Date.now());
 */
export function statusError(
  status: number,
  headers: Headers | Record<string, string | undefined> | undefined,
  message: string,
  now: number,
  cause?: unknown,
): Error {
  const options = cause === undefined ? { status } : { status, cause };
  // RFC 9110 §10.2.3: Retry-After is meaningful on 503 and 3xx; RFC 6585 §4 adds it to 429.
  if (status === 429 || status === 503) {
    const delay = retryAfterMs(readHeader(headers, "retry-after"), now);
    if (delay !== undefined) return new RetryAfterError(message, delay, options);
  }
  if (isRetriableStatus(status)) return new RetriableStepError(message, options);
  return new NonRetriableError(message, options);
}

function readHeader(headers: Headers | Record<string, string | undefined> | undefined, name: string) {
  if (headers === undefined) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
