import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetriableStepError } from "../../../src/engine/errors/retriable-step-error.ts";
import { timedFetch } from "../../../src/models/timed-fetch.ts";
import { startFakeOpenAi } from "../../servers/fake-openai.ts";

let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
beforeAll(async () => {
  server = await startFakeOpenAi({ flavor: "ollama" });
});
afterAll(() => server.close());

const post = (f: typeof fetch, model: string) =>
  f(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "hi there" }] }),
  });

describe("timedFetch (model connect/first-byte and idle timeouts)", () => {
  it("gives up on a server that accepts and never answers, with a retriable error saying so", async () => {
    server.setHang(true);
    try {
      const f = timedFetch(fetch, { what: "model ollama:x", firstByteMs: 150 });
      const err = await post(f, "x").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetriableStepError);
      expect(String((err as Error).message)).toBe("model ollama:x sent no response within 0.15 s");
    } finally {
      server.setHang(false);
    }
  });

  it("cuts a stream that goes silent mid-way, but not a long one that keeps producing", async () => {
    // Gaps of 5 ms against an idle limit of 600 ms: a loaded machine that delays a chunk by 100x still passes.
    const f = timedFetch(fetch, { what: "model ollama:x", firstByteMs: 5_000, idleMs: 600 });
    const stalled = await post(f, "slow-5000");
    const err = await stalled.text().catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain("stopped sending for 0.6 s mid-response");
    const steady = await post(f, "slow-5"); // 200 tokens, 5 ms apart: ~1 s, longer than idleMs
    expect((await steady.text()).includes("[DONE]")).toBe(true);
  });
});
