/**
 * A failure worth retrying on the step's backoff curve: a 408, a 429 or 5xx without
 * `Retry-After`, a network error or a timeout.
 *
 * @example
 * throw new RetriableStepError("POST https://api.example.com/v1 returned 502", { status: 502 });
 */
export class RetriableStepError extends Error {
  override readonly name = "RetriableStepError";
  readonly status: number | undefined;

  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
}
