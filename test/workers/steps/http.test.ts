import { describe, expect, inject, it } from "vitest";
import { NonRetriableError } from "../../../src/engine/errors/non-retriable-error.ts";
import { RetriableStepError } from "../../../src/engine/errors/retriable-step-error.ts";
import { RetryAfterError } from "../../../src/engine/errors/retry-after-error.ts";
import { StepCancelledError } from "../../../src/engine/errors/step-cancelled-error.ts";
import { toStepError } from "../../../src/engine/errors/to-step-error.ts";
import { executeHttpStep, type HttpStepContext, type HttpStepInput } from "../../../src/steps/http.ts";
import { marker, seenRequests, waitForRequest } from "../../servers/client.ts";

const echoUrl = inject("echoHttpUrl");
const openaiUrl = inject("fakeOpenAiUrl");
// The fake servers listen on 127.0.0.1, so tests allow-list the echo server explicitly.
const allowHosts = [new URL(echoUrl).host];

const step = (url: string, extra: Partial<HttpStepInput> = {}): HttpStepInput => ({
  kind: "http",
  method: "GET",
  url,
  headers: {},
  timeoutMs: 10_000,
  ...extra,
});
const run = (s: HttpStepInput, ctx: Partial<HttpStepContext> = {}) =>
  executeHttpStep(s, { fetch, signal: new AbortController().signal, allowHosts, ...ctx });
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable("expected a failure"),
    (e: unknown) => e,
  );

describe("http step: requests", () => {
  it("GETs JSON and returns status, headers and the parsed body", async () => {
    const { output } = await run(step(`${echoUrl}/json?q=hello%20world`, { headers: { "x-trace": "abc" } }));
    expect(output.status).toBe(200);
    expect(output.headers["content-type"]).toBe("application/json");
    expect(output.truncated).toBe(false);
    expect(output.body).toMatchObject({
      method: "GET",
      query: { q: "hello world" },
      headers: { "x-trace": "abc" },
    });
  });

  it("POSTs a JSON body with a JSON content type", async () => {
    const { output } = await run(
      step(`${echoUrl}/json`, { method: "POST", body: { order: { id: "ord_1" }, n: 2 } }),
    );
    expect(output.body).toMatchObject({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: { order: { id: "ord_1" }, n: 2 },
    });
  });

  it("sends a string body as-is", async () => {
    const { output } = await run(
      step(`${echoUrl}/json`, {
        method: "PUT",
        body: "plain words",
        headers: { "content-type": "text/plain" },
      }),
    );
    expect(output.body).toMatchObject({ method: "PUT", body: "plain words" });
  });

  it("returns a text body as a string", async () => {
    expect((await run(step(`${echoUrl}/text`))).output.body).toBe("hello from echo-http");
  });

  it("keeps at most maxBodyBytes of the body and says so", async () => {
    const { output } = await run(step(`${echoUrl}/big?bytes=5000`), { maxBodyBytes: 1_000 });
    expect(output).toMatchObject({ truncated: true });
    expect(output.body).toBe("a".repeat(1_000));
  });

  it("refuses a body on GET as non-retriable", async () => {
    expect(await failureOf(run(step(`${echoUrl}/json`, { body: { a: 1 } })))).toBeInstanceOf(
      NonRetriableError,
    );
  });
});

describe("http step: SSRF guard", () => {
  it.each([
    ["http://127.0.0.1/", /loopback/],
    ["http://10.0.0.1/", /private/],
    ["http://169.254.169.254/latest/meta-data/", /metadata/],
    ["http://[::1]/", /loopback/],
    ["http://0x7f.1/", /loopback/],
  ])("refuses %s as non-retriable before sending anything", async (url, reason) => {
    const error = await failureOf(run(step(url)));
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(reason);
    expect(toStepError(error).retriable).toBe(false);
  });

  it("refuses the local echo server itself when it is not allow-listed", async () => {
    const m = marker();
    const error = await failureOf(run(step(`${echoUrl}/json?m=${m}`), { allowHosts: [] }));
    expect(error).toBeInstanceOf(NonRetriableError);
    expect(await seenRequests(echoUrl, (r) => r.path.includes(m))).toEqual([]);
  });

  it("refuses a redirect from an allow-listed server into the metadata address", async () => {
    const to = encodeURIComponent("http://169.254.169.254/latest/meta-data/");
    const error = await failureOf(run(step(`${echoUrl}/redirect?to=${to}`)));
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(
      /refused outbound request to http:\/\/169\.254\.169\.254\/latest\/meta-data\/: cloud metadata address/,
    );
  });

  it("refuses a redirect to a non-http scheme", async () => {
    const error = await failureOf(
      run(step(`${echoUrl}/redirect?to=${encodeURIComponent("file:///etc/passwd")}`)),
    );
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(/to a file: URL: only http: and https: are allowed/);
  });

  it("refuses a redirect into a 127.0.0.1 port that is not allow-listed, without reaching it", async () => {
    const m = marker();
    const to = encodeURIComponent(`${openaiUrl}/v1/models?m=${m}`);
    const error = await failureOf(run(step(`${echoUrl}/redirect?to=${to}&status=307`)));
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(/loopback/);
    expect(await seenRequests(openaiUrl, (r) => r.path.includes(m))).toEqual([]);
  });
});

describe("http step: redirects", () => {
  it("follows a relative redirect on an allowed host", async () => {
    const { output } = await run(step(`${echoUrl}/redirect?to=%2Fjson%3Fvia%3Dredirect`));
    expect(output.body).toMatchObject({ method: "GET", query: { via: "redirect" } });
  });

  it("turns a POST into a bodiless GET after a 303", async () => {
    const { output } = await run(
      step(`${echoUrl}/redirect?status=303&to=%2Fjson`, { method: "POST", body: { a: 1 } }),
    );
    expect(output.body).toMatchObject({ method: "GET", body: "" });
  });

  it("keeps method and body across a 307", async () => {
    const { output } = await run(
      step(`${echoUrl}/redirect?status=307&to=%2Fjson`, { method: "POST", body: { a: 1 } }),
    );
    expect(output.body).toMatchObject({ method: "POST", body: { a: 1 } });
  });

  it("drops Authorization when a redirect changes origin", async () => {
    const m = marker();
    const to = encodeURIComponent(`${openaiUrl}/elsewhere?m=${m}`);
    await run(step(`${echoUrl}/redirect?to=${to}`, { headers: { authorization: "Bearer secret-token" } }), {
      allowHosts: [...allowHosts, new URL(openaiUrl).host],
    }).catch(() => undefined); // the fake OpenAI answers 401/404 here; only what it received matters
    const [seen] = await seenRequests(openaiUrl, (r) => r.path.includes(m));
    expect(seen?.headers.authorization).toBeUndefined();
  });

  it("follows five redirects and refuses the sixth", async () => {
    expect((await run(step(`${echoUrl}/hops/5`))).output.status).toBe(200);
    const error = await failureOf(run(step(`${echoUrl}/hops/6`)));
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(/more than 5 redirects/);
  });
});

describe("http step: failures for the retry policy", () => {
  it("makes a 404 non-retriable", async () => {
    const error = await failureOf(run(step(`${echoUrl}/status/404`)));
    expect(error).toBeInstanceOf(NonRetriableError);
    expect(toStepError(error)).toMatchObject({ retriable: false, status: 404 });
  });

  it("makes a 503 without Retry-After retriable", async () => {
    const error = await failureOf(run(step(`${echoUrl}/status/503`)));
    expect(error).toBeInstanceOf(RetriableStepError);
    expect(toStepError(error)).toMatchObject({ retriable: true, status: 503 });
  });

  it("honours Retry-After seconds on a 429", async () => {
    const error = await failureOf(run(step(`${echoUrl}/status/429?retryAfter=7`)));
    expect(error).toBeInstanceOf(RetryAfterError);
    expect(toStepError(error)).toMatchObject({ retriable: true, retryAfterMs: 7_000, status: 429 });
  });

  it("honours a Retry-After HTTP date on a 503", async () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    const date = encodeURIComponent("Tue, 01 Jan 2030 00:00:30 GMT");
    const error = await failureOf(run(step(`${echoUrl}/status/503?retryAfter=${date}`), { now: () => now }));
    expect(error).toMatchObject({ retryAfterMs: 30_000, status: 503 });
  });

  it("makes a 408 and a 429 without Retry-After retriable", async () => {
    for (const status of [408, 429]) {
      expect(toStepError(await failureOf(run(step(`${echoUrl}/status/${status}`))))).toMatchObject({
        retriable: true,
        status,
      });
    }
  });

  it("makes a network failure retriable", async () => {
    // An injected failure: a real refused connection works too, but workerd logs it as uncaught.
    const fetch = () => Promise.reject(new TypeError("Network connection lost."));
    const error = await failureOf(run(step("https://api.example.com/x"), { fetch }));
    expect(error).toBeInstanceOf(RetriableStepError);
    expect(toStepError(error).retriable).toBe(true);
  });

  it("fails a response that outlives the step timeout as retriable", async () => {
    const error = await failureOf(run(step(`${echoUrl}/slow?ms=5000&m=${marker()}`, { timeoutMs: 150 })));
    expect(error).toBeInstanceOf(RetriableStepError);
    expect((error as Error).message).toMatch(/timed out after 150 ms/);
  });
});

describe("http step: cancel", () => {
  it("aborts the in-flight request and the server sees the connection close", async () => {
    const m = marker();
    const controller = new AbortController();
    const pending = failureOf(run(step(`${echoUrl}/slow?ms=10000&m=${m}`), { signal: controller.signal }));
    await waitForRequest(echoUrl, (r) => r.path.includes(m));
    controller.abort("cancelled by test");
    expect(await pending).toBeInstanceOf(StepCancelledError);
    const seen = await waitForRequest(echoUrl, (r) => r.path.includes(m) && r.closedAt !== undefined);
    expect(seen.clientClosedEarly).toBe(true);
  });

  it("does not start when the run is already cancelled", async () => {
    const m = marker();
    const error = await failureOf(run(step(`${echoUrl}/json?m=${m}`), { signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(StepCancelledError);
    expect(await seenRequests(echoUrl, (r) => r.path.includes(m))).toEqual([]);
  });
});
