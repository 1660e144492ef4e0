import { type Dispatcher, getGlobalDispatcher } from "undici";
import { afterStopBurst } from "../../host/stop-burst.ts";
import { cuttableFetch } from "../../steps/cut-fetch.ts";

/**
 * Node's model fetch for a /stop's cut: the connection is closed at the socket, below fetch, and fetch's
 * own teardown waits for the end of the /stop burst.
 *
 * Aborting a fetch (what `cuttableFetch` does by default) errors its response stream and terminates its
 * controller before undici destroys the socket: about 0.2 ms of work per stream here, so with 20 chats
 * stopping at once the last connection closed several milliseconds after the first. Here `cut` calls
 * undici's own abort for the request, whose error reaches fetch only after `afterStopBurst()`; the socket is
 * destroyed at once (the upstream sees the connection close). The body stays silent meanwhile, and the
 * attempt's own abort, which follows, ends it as before. Keep-alive connections are the global dispatcher's,
 * as for any other model call.
 *
 * @example
 * const f = nodeCutFetch(cut.signal); // pass as the llm step's fetch; cut.abort() closes the socket now
 */
export function nodeCutFetch(cut: AbortSignal): typeof fetch {
  const dispatcher = getGlobalDispatcher().compose(
    (dispatch) => (opts, handler) => dispatch(opts, new CutHandler(handler, cut)),
  );
  // Node's fetch is undici 6; it takes an undici 6 dispatcher in `init` (as src/node/net/pinned-fetch.ts).
  const inner: typeof fetch = (input, init) =>
    globalThis.fetch(input, { ...init, dispatcher } as unknown as RequestInit);
  return cuttableFetch(inner, cut, { transportCuts: true });
}

type Abort = (err?: Error) => void;
type Handler = Dispatcher.DispatchHandlers;

/** Passes everything through; on `cut`, aborts the request at the connection and holds fetch's error back. */
class CutHandler implements Handler {
  readonly #inner: Handler;
  readonly #cut: AbortSignal;
  #abort: Abort | undefined;
  #cutting = false;
  readonly #onCut = () => {
    this.#cutting = true;
    this.#abort?.(reasonOf(this.#cut));
  };

  constructor(inner: Handler, cut: AbortSignal) {
    this.#inner = inner;
    this.#cut = cut;
    cut.addEventListener("abort", this.#onCut, { once: true });
  }

  onConnect(abort: Abort): void {
    this.#abort = abort;
    this.#inner.onConnect?.(abort);
    // Cut before the request had a connection: it ends as soon as it gets one.
    if (this.#cut.aborted) this.#onCut();
  }

  onError(err: Error): void {
    this.#release();
    if (this.#cutting) {
      void afterStopBurst().then(() => this.#inner.onError?.(err));
      return;
    }
    this.#inner.onError?.(err);
  }

  onComplete(trailers: string[] | null): void {
    this.#release();
    this.#inner.onComplete?.(trailers);
  }

  onUpgrade: Handler["onUpgrade"] = (...a) => this.#inner.onUpgrade?.(...a);
  onResponseStarted: Handler["onResponseStarted"] = () => this.#inner.onResponseStarted?.();
  onHeaders: Handler["onHeaders"] = (...a) => this.#inner.onHeaders?.(...a) ?? true;
  onData: Handler["onData"] = (...a) => this.#inner.onData?.(...a) ?? true;
  onBodySent: Handler["onBodySent"] = (...a) => this.#inner.onBodySent?.(...a);

  #release(): void {
    this.#cut.removeEventListener("abort", this.#onCut);
  }
}

function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? "cut"));
}
