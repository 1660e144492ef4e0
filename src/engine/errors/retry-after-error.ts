import { parseDuration } from "../../core/duration.ts";

/**
 * Thrown by a step executor when the far side said when to come back (HTTP 429 or 503 with
 * `Retry-After`). The engine waits exactly that long rather than following its backoff curve.
 *
 * @example
 * throw new RetryAfterError("rate limited by openai", 2_000, { status: 429 });
 * throw new RetryAfterError("busy", "30s");
 */
export class RetryAfterError extends Error {
  override readonly name = "RetryAfterError";
  readonly retryAfterMs: number;
  readonly status: number | undefined;

  constructor(message: string, retryAfter: number | string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    const ms = parseDuration(retryAfter);
    if (ms === undefined) throw new TypeError(`RetryAfterError: invalid retryAfter ${String(retryAfter)}`);
    this.retryAfterMs = ms;
    this.status = options?.status;
  }
}

/**
 * Parses an HTTP `Retry-After` header (delay-seconds or an HTTP-date, RFC 9110 §10.2.3)
 * into milliseconds from `now`. Returns `undefined` when the header is absent or malformed.
 *
 * @example
 * retryAfterMs("3", 0); // 3000
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
