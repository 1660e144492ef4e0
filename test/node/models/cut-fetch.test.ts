import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { afterStopBurst, MAX_DEFER_MS, noteStopHint } from "../../../src/host/stop-burst.ts";
import { nodeCutFetch } from "../../../src/node/net/cut-fetch.ts";
import { cuttableFetch } from "../../../src/steps/cut-fetch.ts";
import { startFakeOpenAi } from "../../servers/fake-openai.ts";

let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
beforeAll(async () => {
  server = await startFakeOpenAi({ flavor: "ollama" });
});
afterAll(() => server.close());

const post = (f: typeof fetch, model: string, tag: string, signal?: AbortSignal) =>
  f(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model,
      stream: true,
      messages: [{ role: "user", content: `cut ${model} ${tag}` }],
    }),
    signal,
  });
const recordOf = (model: string, tag: string) =>
  server.requests.find((r) => JSON.stringify(r.body).includes(`cut ${model} ${tag}`));

// The default (fetch's own abort cuts) and Node's (the socket is closed below fetch).
describe.each([
  { name: "cuttableFetch(fetch, cut)", make: (cut: AbortSignal) => cuttableFetch(fetch, cut) },
  { name: "nodeCutFetch(cut)", make: (cut: AbortSignal) => nodeCutFetch(cut) },
])("$name: a model connection a cancel closes ahead of the attempt's abort", ({ name, make }) => {
  const tag = name.startsWith("node") ? "node" : "default";

  it("passes a whole stream through when nothing cuts it", async () => {
    const res = await post(make(new AbortController().signal), "slow-1", tag);
    expect((await res.text()).includes("[DONE]")).toBe(true);
  });

  it("closes the connection on the cut, keeps the body silent, and ends when the caller aborts", async () => {
    const cut = new AbortController();
    const caller = new AbortController();
    const res = await post(make(cut.signal), "slow-50", tag, caller.signal);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // streaming
    cut.abort(new Error("stop"));
    await vi.waitFor(() => expect(recordOf("slow-50", tag)?.clientClosedEarly).toBe(true), {
      timeout: 5_000,
    });
    // Cut but not aborted: the next read neither ends nor fails (the teardown waits for the caller).
    let settled = false;
    const next = reader.read().then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    // The caller's abort (here, cancelling the body as the AI SDK does) ends it.
    caller.abort(new Error("stop"));
    await reader.cancel(new Error("stop"));
    await next;
    expect(settled).toBe(true);
  });

  it("errors the body as usual when the caller aborts without a cut", async () => {
    const caller = new AbortController();
    const res = await post(make(new AbortController().signal), "slow-40", tag, caller.signal);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    caller.abort(new Error("gone"));
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return "done";
      })(),
    ).rejects.toThrow();
    await vi.waitFor(() => expect(recordOf("slow-40", tag)?.clientClosedEarly).toBe(true), {
      timeout: 5_000,
    });
  });
});

describe("nodeCutFetch: the socket closes first; fetch's teardown waits for the /stop burst", () => {
  it("closes the connection at once while a burst of /stops is still going on", async () => {
    const cut = new AbortController();
    const res = await post(nodeCutFetch(cut.signal), "slow-30", "burst");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    // Other /stops keep coming (a hint every 5 ms): fetch's teardown is held back meanwhile, up to MAX_DEFER_MS.
    noteStopHint();
    const hints = setInterval(() => noteStopHint(), 5);
    const cutAt = Date.now();
    cut.abort(new Error("stop"));
    try {
      await vi.waitFor(() => expect(recordOf("slow-30", "burst")?.clientClosedEarly).toBe(true), {
        timeout: 5_000,
        interval: 1,
      });
    } finally {
      clearInterval(hints);
    }
    // At once: well before the burst's teardown could have run (MAX_DEFER_MS after the cut at the latest).
    expect((recordOf("slow-30", "burst")?.closedAt as number) - cutAt).toBeLessThan(MAX_DEFER_MS / 2);
    // After the burst the attempt's own abort ends the (silent) body, as for any cut.
    await afterStopBurst();
    const read = reader.read().catch(() => "failed");
    await reader.cancel(new Error("stop"));
    await read;
  });

  it("ends a request cut before it had a connection, without reaching the upstream", async () => {
    const cut = new AbortController();
    cut.abort(new Error("stop early"));
    await expect(post(nodeCutFetch(cut.signal), "slow-20", "early")).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(recordOf("slow-20", "early")).toBeUndefined();
  });
});
