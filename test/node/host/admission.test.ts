/**
 * Admission control (src/handlers/admission.ts) through the real Node server: with `defaults.maxInflight`
 * deliveries in progress, one more is answered 503 `overloaded` with `Retry-After: 2` before any work, health
 * stays answerable, and once a slot frees the same delivery is accepted (nothing was recorded by the 503).
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signers } from "../../../src/core/sign/index.ts";
import { utf8 } from "../../../src/core/verify/encoding.ts";
import { type NodeServer, startNodeServer } from "../../fixtures/node-server.ts";
import { TEST_BINDINGS } from "../../fixtures/secrets.ts";

let server: NodeServer;
beforeAll(async () => {
  server = await startNodeServer({
    name: "admission",
    tweak: (config) => {
      config.defaults.maxInflight = 2;
    },
  });
});
afterAll(() => server?.close());

async function signedHeaders(body: Uint8Array, id: string): Promise<Record<string, string>> {
  const signed = await signers.github({
    rawBody: body,
    secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
    now: Date.now(),
    id,
  });
  return { "content-type": "application/json", ...signed };
}

/** A delivery whose body arrives only when `finish()` is called: it holds an in-flight slot until then. */
async function slowDelivery(id: string) {
  const body = utf8(JSON.stringify({ text: id }));
  const headers = await signedHeaders(body, id);
  const url = new URL(`${server.baseUrl}/webhooks/in/run-echo`);
  let answer: (r: { status: number; body: string }) => void = () => {};
  const answered = new Promise<{ status: number; body: string }>((ok) => {
    answer = ok;
  });
  const req = request(
    url,
    { method: "POST", headers: { ...headers, "transfer-encoding": "chunked" } },
    (res) => {
      let text = "";
      res.on("data", (d: Buffer) => {
        text += d.toString();
      });
      res.on("end", () => answer({ status: res.statusCode ?? 0, body: text }));
    },
  );
  req.write(body.subarray(0, 3));
  return {
    answered,
    finish() {
      req.end(body.subarray(3));
    },
  };
}

async function post(id: string): Promise<Response> {
  const body = utf8(JSON.stringify({ text: id }));
  return fetch(`${server.baseUrl}/webhooks/in/run-echo`, {
    method: "POST",
    headers: await signedHeaders(body, id),
    body,
  });
}

/** Polls until `n` deliveries are in progress on the server (their bodies are still arriving). */
async function untilInProgress(n: number) {
  const { deliveriesInProgress } = await import("../../../src/handlers/admission.ts");
  for (let i = 0; i < 200 && deliveriesInProgress() < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(deliveriesInProgress()).toBe(n);
}

describe("admission control", () => {
  it("answers 503 overloaded with Retry-After past maxInflight, and accepts the same delivery once there is room", {
    timeout: 90_000,
  }, async () => {
    const a = await slowDelivery("adm-a");
    const b = await slowDelivery("adm-b");
    await untilInProgress(2);

    const refused = await post("adm-c");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("2");
    expect(await refused.json()).toMatchObject({ error: "overloaded" });
    // Health is outside the webhook routes: an overloaded host still answers it.
    expect((await fetch(`${server.baseUrl}/health/live`)).status).toBe(200);

    a.finish();
    b.finish();
    expect((await a.answered).status).toBe(202);
    expect((await b.answered).status).toBe(202);
    await untilInProgress(0);

    // The 503 recorded nothing: the sender's retry of the same delivery is its first acceptance.
    const retried = await post("adm-c");
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ status: "accepted" });
  });
});
