import { checkOutboundUrl, type OutboundRefusal } from "../core/net/ssrf.ts";
import type { ResolvedStep } from "../engine/effects.ts";
import { NonRetriableError } from "../engine/errors/non-retriable-error.ts";
import type { Json } from "../engine/json.ts";
import { attemptSignal } from "./attempt-signal.ts";
import { failureOf } from "./failure.ts";
import { readCappedText } from "./read-capped.ts";
import { statusError } from "./status-error.ts";

/** An `http` step with its templates already rendered by the engine. */
export type HttpStepInput = Extract<ResolvedStep, { kind: "http" }>;

export interface HttpStepContext {
  /** Injected so tests, the Node adapter and Workers each bring their own. */
  fetch: typeof fetch;
  /** Fires when the run is cancelled; the attempt then ends with `StepCancelledError`. */
  signal: AbortSignal;
  /** Hosts (`host` or `host:port`) that may be private, e.g. a sidecar on 127.0.0.1. */
  allowHosts?: readonly string[];
  /** Response bytes kept in the step output; the rest is dropped and `truncated` is set. */
  maxBodyBytes?: number;
  /** Clock for `Retry-After` dates. */
  now?: () => number;
}

export interface HttpStepOutput {
  [key: string]: Json;
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the response says it is JSON (and is complete), else text. */
  body: Json;
  truncated: boolean;
}

/** Browsers and undici stop at 20; a workflow step has no business following more than a few. */
export const MAX_REDIRECTS = 5;
/** Step outputs live in the run's state, so keep them well under Durable Object value limits. */
export const DEFAULT_MAX_BODY_BYTES = 1_000_000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Runs one attempt of an `http` step. Every URL, including each redirect's `Location`, passes
 * the SSRF guard first; redirects are followed by hand (`redirect: "manual"`) for that reason.
 * Failures are thrown as the errors the retry policy reads (see `statusError`); a refused
 * address is a `NonRetriableError`, a cancel is a `StepCancelledError`.
 *
 * @example
 * const { output } = await executeHttpStep(
 *   { kind: "http", method: "GET", url: "https://api.example.com/x", headers: {}, timeoutMs: 30_000 },
 *   { fetch, signal: attempt.signal },
 * );
 * output.status; // 200
 */
export async function executeHttpStep(
  step: HttpStepInput,
  ctx: HttpStepContext,
): Promise<{ output: HttpStepOutput }> {
  const now = ctx.now ?? Date.now;
  let method: string = step.method;
  let { headers, body } = encodeRequest(step);
  let url = guard(step.url, ctx.allowHosts);
  // Called unbound: workerd throws "Illegal invocation" when fetch gets `ctx` as its `this`.
  const send = ctx.fetch;
  const { signal, dispose } = attemptSignal(ctx.signal, step.timeoutMs);
  try {
    for (let redirects = 0; ; redirects++) {
      if (signal.aborted) throw signal.reason;
      const res = await send(url.href, { method, headers, body, redirect: "manual", signal });
      const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get("location") : null;
      if (location !== null) {
        await res.body?.cancel();
        if (redirects >= MAX_REDIRECTS) {
          throw new NonRetriableError(`${label(method, url)}: more than ${MAX_REDIRECTS} redirects`);
        }
        const next = guard(new URL(location, url).href, ctx.allowHosts);
        // Fetch standard §4.4 (HTTP-redirect fetch): 303, and 301/302 after POST, become a bodiless GET.
        if (
          (res.status === 303 && method !== "HEAD") ||
          ((res.status === 301 || res.status === 302) && method === "POST")
        ) {
          method = "GET";
          body = undefined;
          headers = withoutHeaders(headers, ["content-type", "content-length"]);
        }
        // Credentials meant for one origin must not follow a redirect to another (Fetch §4.4 step 13).
        if (next.origin !== url.origin) headers = withoutHeaders(headers, ["authorization", "cookie"]);
        url = next;
        continue;
      }
      if (res.status >= 400) {
        await res.body?.cancel();
        throw statusError(res.status, res.headers, `${label(method, url)} returned ${res.status}`, now());
      }
      return { output: await readOutput(res, ctx.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) };
    }
  } catch (error) {
    throw failureOf(error, { cancel: ctx.signal, timeoutMs: step.timeoutMs, what: label(method, url) });
  } finally {
    dispose();
  }
}

const WHY: Record<OutboundRefusal, string> = {
  invalid_url: "not a valid URL",
  unsupported_scheme: "only http: and https: are allowed",
  loopback: "loopback address",
  private: "private address",
  link_local: "link-local address",
  metadata: "cloud metadata address",
  unspecified: "unspecified address",
  multicast: "multicast address",
  reserved: "reserved address",
};

function guard(target: string, allow: readonly string[] | undefined): URL {
  const check = checkOutboundUrl(target, allow);
  if (check.ok) return check.url;
  let where = "to an unparseable URL";
  try {
    const url = new URL(target);
    where =
      url.protocol === "http:" || url.protocol === "https:" ? label("to", url) : `to a ${url.protocol} URL`;
  } catch {}
  throw new NonRetriableError(
    `refused outbound request ${where}: ${WHY[check.reason]} (allow-list the host to reach it)`,
  );
}

// The query string is left out of messages: it often carries tokens, and errors reach traces.
function label(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`;
}

function encodeRequest(step: HttpStepInput): { headers: Headers; body: string | undefined } {
  const headers = new Headers(step.headers);
  if (step.body === undefined) return { headers, body: undefined };
  if (step.method === "GET" || step.method === "HEAD") {
    throw new NonRetriableError(`${step.method} ${step.url}: a ${step.method} request cannot have a body`);
  }
  if (typeof step.body === "string") return { headers, body: step.body };
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return { headers, body: JSON.stringify(step.body) };
}

function withoutHeaders(headers: Headers, names: string[]): Headers {
  const copy = new Headers(headers);
  for (const name of names) copy.delete(name);
  return copy;
}

async function readOutput(res: Response, maxBytes: number): Promise<HttpStepOutput> {
  const { text, truncated } = await readCappedText(res, maxBytes);
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return {
    status: res.status,
    headers,
    body: parseBody(text, truncated, headers["content-type"]),
    truncated,
  };
}

function parseBody(text: string, truncated: boolean, contentType: string | undefined): Json {
  if (truncated || text === "" || !/[/+]json\b/i.test(contentType ?? "")) return text;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}
