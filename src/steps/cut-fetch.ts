/**
 * A model fetch that a cancel can cut in two phases. `cut` closes the connection at once (the upstream sees
 * it close and stops generating, and billing), but the response body then goes silent instead of erroring:
 * the teardown of the AI SDK's stream pipeline (errors through every transform, their stack traces) waits
 * for the attempt's own abort, which the caller sends a moment later. So when many chats /stop together,
 * every connection is closed before any of that work runs (src/host/stop-burst.ts).
 *
 * Without a cut, it is the inner fetch with one pass-through stream on the body.
 *
 * With `transportCuts`, `inner` closes the connection on `cut` itself (on Node, src/node/net/cut-fetch.ts does
 * it below fetch, at the socket), so `cut` is not added to its signal: fetch's own abort is the costly part.
 *
 * @example
 * const cut = new AbortController();
 * const f = cuttableFetch(fetch, cut.signal);
 * cut.abort(); // the connection closes now; abort the attempt's signal next
 */
export function cuttableFetch(
  inner: typeof fetch,
  cut: AbortSignal,
  options: { transportCuts?: boolean } = {},
): typeof fetch {
  return async (input, init) => {
    const outer = init?.signal ?? undefined;
    const signal = options.transportCuts ? outer : outer ? AbortSignal.any([outer, cut]) : cut;
    const res = await inner(input, { ...init, signal });
    if (!res.body) return res;
    const reader = res.body.getReader();
    let silence: (() => void) | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          } catch (err) {
            // Cut, and not (yet) aborted by the caller: stay silent until the caller's abort cancels us.
            if (cut.aborted && !outer?.aborted) return new Promise<void>((resolve) => (silence = resolve));
            controller.error(err);
          }
        },
        cancel(reason) {
          silence?.();
          return reader.cancel(reason).catch(() => undefined);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
