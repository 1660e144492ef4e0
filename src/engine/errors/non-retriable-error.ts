/**
 * Thrown by a step executor when repeating the attempt cannot help (a 404, a schema mismatch,
 * a refused address). The engine fails the step at once instead of spending its retries.
 *
 * @example
 * if (res.status === 404) throw new NonRetriableError(`GET ${url} returned 404`, { status: 404 });
 */
export class NonRetriableError extends Error {
  override readonly name = "NonRetriableError";
  readonly status: number | undefined;

  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
}
