import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cuttableFetch } from "../../../src/steps/cut-fetch.ts";
import { startFakeOpenAi } from "../../servers/fake-openai.ts";

let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
beforeAll(async () => {
  server = await startFakeOpenAi({ flavor: "ollama" });
});
afterAll(() => server.close());

const post = (f: typeof fetch, model: string, signal?: AbortSignal) =>
  f(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: `cut ${model}` }] }),
    signal,
  });
const recordOf = (model: string) =>
  server.requests.find((r) => JSON.stringify(r.body).includes(`cut ${model}`));

describe("cuttableFetch (a model connection a cancel closes ahead of the attempt's abort)", () => {
  it("passes a whole stream through when nothing cuts it", async () => {
    const res = await post(cuttableFetch(fetch, new AbortController().signal), "slow-1");
    expect((await res.text()).includes("[DONE]")).toBe(true);
  });

  it("closes the connection on the cut, keeps the body silent, and ends when the caller aborts", async () => {
    const cut = new AbortController();
    const caller = new AbortController();
    const res = await post(cuttableFetch(fetch, cut.signal), "slow-50", caller.signal);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // streaming
    cut.abort(new Error("stop"));
    await vi.waitFor(() => expect(recordOf("slow-50")?.clientClosedEarly).toBe(true), { timeout: 5_000 });
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
    const res = await post(cuttableFetch(fetch, new AbortController().signal), "slow-40", caller.signal);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    caller.abort(new Error("gone"));
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return "done";
      })(),
    ).rejects.toThrow();
    await vi.waitFor(() => expect(recordOf("slow-40")?.clientClosedEarly).toBe(true), { timeout: 5_000 });
  });
});
