import { RetriableStepError } from "../engine/errors/retriable-step-error.ts";

/** A model server must answer a request (status and headers) within this long. */
export const MODEL_FIRST_BYTE_MS = 60_000;
/** …and, once streaming, must not go silent for longer than this between two chunks. */
export const MODEL_IDLE_MS = 60_000;

/**
 * Wraps a model provider's fetch with two timeouts that catch a hanging server without cutting a long
 * legitimate stream: the response must start within `firstByteMs`, and its body must not stall for
 * `idleMs` between chunks (a stream that keeps producing may run as long as the step's own timeout allows).
 * Either failure closes the connection and is a retriable error that says which wait ran out.
 *
 * @example
 * createOpenAI({ fetch: timedFetch(fetch, { what: "model openai:gpt-4o-mini" }) });
 */
export function timedFetch(
  inner: typeof fetch,
  o: { what: string; firstByteMs?: number; idleMs?: number },
): typeof fetch {
  const firstByteMs = o.firstByteMs ?? MODEL_FIRST_BYTE_MS;
  const idleMs = o.idleMs ?? MODEL_IDLE_MS;
  return async (input, init) => {
    const connection = new AbortController();
    const outer = init?.signal ?? undefined;
    const signal = outer ? AbortSignal.any([outer, connection.signal]) : connection.signal;
    let silent = false;
    let rearm = () => {};
    const timer = setTimeout(() => {
      silent = true;
      connection.abort();
    }, firstByteMs);
    let res: Response;
    try {
      res = await inner(input, { ...init, signal });
    } catch (error) {
      if (!silent || outer?.aborted) throw error;
      throw new RetriableStepError(`${o.what} sent no response within ${firstByteMs / 1000} s`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
    if (!res.body) return res;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      if (idle !== undefined) clearTimeout(idle);
    };
    signal.addEventListener("abort", stop, { once: true });
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        start(controller) {
          const arm = () => {
            stop();
            idle = setTimeout(() => {
              try {
                controller.error(
                  new RetriableStepError(`${o.what} stopped sending for ${idleMs / 1000} s mid-response`),
                );
              } catch {
                // already closed
              }
              connection.abort();
            }, idleMs);
          };
          rearm = arm;
          arm();
        },
        transform(chunk, controller) {
          rearm();
          controller.enqueue(chunk);
        },
        flush: stop,
      }),
    );
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
