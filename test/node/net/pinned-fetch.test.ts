import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NonRetriableError } from "../../../src/engine/errors/non-retriable-error.ts";
import { toStepError } from "../../../src/engine/errors/to-step-error.ts";
import { createPinnedFetch, PrivateAddressError, type Resolver } from "../../../src/node/net/pinned-fetch.ts";
import { executeHttpStep, type HttpStepInput } from "../../../src/steps/http.ts";
import { marker } from "../../servers/client.ts";
import { startEchoHttp } from "../../servers/echo-http.ts";
import { startFakeOllama } from "../../servers/fake-ollama.ts";
import type { FakeServer } from "../../servers/recorder.ts";

// Both servers listen on 127.0.0.1, so every refusal below is a request that would have worked.
let echo: FakeServer;
let ollama: FakeServer;
const fetches: { close(): Promise<void> }[] = [];
beforeAll(async () => {
  [echo, ollama] = await Promise.all([startEchoHttp(), startFakeOllama()]);
});
afterAll(async () => {
  await Promise.all(fetches.map((f) => f.close()));
  await Promise.all([echo.close(), ollama.close()]);
});

const pinnedFetch = (...args: Parameters<typeof createPinnedFetch>) => {
  const f = createPinnedFetch(...args);
  fetches.push(f);
  return f;
};
/** Public-looking names that resolve into this machine, as a hostile DNS zone would answer. */
const hostile: Resolver = async (name) =>
  name.endsWith(".test") ? [{ address: "127.0.0.1", family: 4 }] : [{ address: "10.0.0.7", family: 4 }];
const step = (url: string): HttpStepInput => ({
  kind: "http",
  method: "GET",
  url,
  headers: {},
  timeoutMs: 5_000,
});
const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable("expected a refusal"),
    (e: unknown) => e,
  );
const reached = (m: string) => echo.requests.some((r) => r.path.startsWith("/json") && r.path.includes(m));

describe("createPinnedFetch", () => {
  it("refuses a name that resolves to loopback (real DNS: localhost)", async () => {
    const m = marker();
    const error = await caught(pinnedFetch()(`http://localhost:${echo.port}/json?m=${m}`));
    expect(error).toBeInstanceOf(PrivateAddressError);
    expect(error).toMatchObject({
      reason: "ssrf_private_address",
      host: "localhost",
      addressClass: "loopback",
    });
    expect((error as Error).message).toMatch(
      /^refused outbound connection: localhost resolves to (127\.0\.0\.1|::1), a loopback address \(allow-list the host to reach it\)$/,
    );
    expect(reached(m)).toBe(false);
  });

  it("refuses a public-looking name that resolves to a private address", async () => {
    const m = marker();
    const error = await caught(
      pinnedFetch({ resolve: hostile })(`http://api.example.test:${echo.port}/json?m=${m}`),
    );
    expect(error).toMatchObject({
      reason: "ssrf_private_address",
      host: "api.example.test",
      address: "127.0.0.1",
    });
    const tenNet = await caught(pinnedFetch({ resolve: hostile })("http://intranet.example.com/"));
    expect(tenNet).toMatchObject({ address: "10.0.0.7", addressClass: "private" });
    expect(reached(m)).toBe(false);
  });

  it("refuses when any one of the addresses is private", async () => {
    const mixed: Resolver = async () => [
      { address: "93.184.215.14", family: 4 },
      { address: "fd00:ec2::254", family: 6 },
    ];
    const error = await caught(pinnedFetch({ resolve: mixed })("http://dual.example.com/"));
    expect(error).toMatchObject({ address: "fd00:ec2::254", addressClass: "private" });
  });

  it("connects to the address it checked, without asking DNS again", async () => {
    // A rebinding zone: a public answer for the check, then 127.0.0.1 for whoever asks next.
    let calls = 0;
    const rebinding: Resolver = async () => {
      calls++;
      return [{ address: calls === 1 ? "192.175.48.1" : "127.0.0.1", family: 4 }];
    };
    const m = marker();
    const url = `http://rebind.example.com:${echo.port}/json?m=${m}`;
    // 192.175.48.1 is public (AS112, a sink for stray traffic, RFC 7534): the attempt fails or
    // times out, but a second lookup would have reached the echo server on 127.0.0.1.
    await pinnedFetch({ resolve: rebinding })(url, { signal: AbortSignal.timeout(300) }).catch(() => {});
    expect(calls).toBe(1);
    expect(reached(m)).toBe(false);
  });

  it("refuses IP literals at connect time too, including redirects undici follows itself", async () => {
    const m = marker();
    const literal = await caught(pinnedFetch()(`http://127.0.0.1:${echo.port}/json?m=${m}`));
    expect(literal).toMatchObject({
      reason: "ssrf_private_address",
      address: "127.0.0.1",
      addressClass: "loopback",
    });
    expect((literal as Error).message).toMatch(
      /^refused outbound connection: 127\.0\.0\.1 is a loopback address/,
    );

    const to = encodeURIComponent(`http://[::ffff:127.0.0.1]:${echo.port}/json?m=${m}`);
    const start = `http://start.test:${echo.port}/redirect?to=${to}`;
    const followed = await caught(
      pinnedFetch({ allowHosts: [`start.test:${echo.port}`], resolve: hostile })(start),
    );
    expect(followed).toMatchObject({ reason: "ssrf_private_address", addressClass: "loopback" });
    expect(reached(m)).toBe(false);
  });

  it("lets allow-listed hosts through, matching the port", async () => {
    const m = marker();
    const res = await pinnedFetch({ allowHosts: [`localhost:${echo.port}`] })(
      `http://localhost:${echo.port}/json?m=${m}`,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ query: { m } });
    const otherPort = await caught(
      pinnedFetch({ allowHosts: ["localhost:1"] })(`http://localhost:${echo.port}/`),
    );
    expect(otherPort).toBeInstanceOf(PrivateAddressError);
  });
});

describe("http step with the pinned fetch", () => {
  it("refuses a redirect to a name that resolves to a private address", async () => {
    const m = marker();
    const allowHosts = [`start.test:${echo.port}`];
    const to = encodeURIComponent(`http://evil.example.test:${echo.port}/json?m=${m}`);
    const error = await caught(
      executeHttpStep(step(`http://start.test:${echo.port}/redirect?to=${to}`), {
        fetch: pinnedFetch({ allowHosts, resolve: hostile }),
        signal: new AbortController().signal,
        allowHosts,
      }),
    );
    expect(error).toBeInstanceOf(PrivateAddressError);
    expect(toStepError(error)).toMatchObject({ retriable: false });
    expect((error as Error).message).toContain("evil.example.test resolves to 127.0.0.1, a loopback address");
    expect(
      echo.requests.some((r) => r.path.startsWith("/redirect") && r.path.includes(encodeURIComponent(m))),
    ).toBe(true);
    expect(reached(m)).toBe(false);
  });

  it("refuses a local Ollama (127.0.0.1:11434) as an http-step target unless allow-listed", async () => {
    const signal = new AbortController().signal;
    const refused = await caught(
      executeHttpStep(step("http://127.0.0.1:11434/api/tags"), { fetch: pinnedFetch(), signal }),
    );
    expect(refused).toBeInstanceOf(NonRetriableError);
    expect((refused as Error).message).toMatch(/loopback address \(allow-list the host to reach it\)/);
    // The pinned fetch alone refuses it as well, before any connection.
    expect(await caught(pinnedFetch()("http://127.0.0.1:11434/api/tags"))).toBeInstanceOf(
      PrivateAddressError,
    );

    const allowHosts = [`127.0.0.1:${ollama.port}`];
    const { output } = await executeHttpStep(step(`${ollama.url}/api/tags`), {
      fetch: pinnedFetch({ allowHosts }),
      signal,
      allowHosts,
    });
    expect(output.status).toBe(200);
    expect(output.body).toMatchObject({
      models: expect.arrayContaining([expect.objectContaining({ name: "llama3.2:1b" })]),
    });
  });
});
