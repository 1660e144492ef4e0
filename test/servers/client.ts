import type { RecordedRequest } from "./recorder.ts";

/**
 * Reads what a fake server recorded, over HTTP (works from workerd and Node alike). Tests
 * share the servers, so pick your own requests with `match` rather than resetting.
 *
 * @example
 * const [seen] = await seenRequests(inject("fakeOpenAiUrl"), (r) => JSON.stringify(r.body).includes(marker));
 */
export async function seenRequests(
  baseUrl: string,
  match: (request: RecordedRequest) => boolean = () => true,
): Promise<RecordedRequest[]> {
  const res = await fetch(`${baseUrl}/__requests`);
  const { requests } = (await res.json()) as { requests: RecordedRequest[] };
  return requests.filter(match);
}

/**
 * Polls a fake server until one of its recorded requests satisfies `until` (the server learns
 * of a closed connection asynchronously), or gives up after `timeoutMs`.
 *
 * @example
 * const seen = await waitForRequest(url, (r) => r.path === "/slow?t=1" && r.closedAt !== undefined);
 */
export async function waitForRequest(
  baseUrl: string,
  until: (request: RecordedRequest) => boolean,
  timeoutMs = 15_000,
): Promise<RecordedRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [found] = await seenRequests(baseUrl, until);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no request at ${baseUrl} matched within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A marker unique to one test, to find its requests among everyone else's. */
export function marker(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}
