import { env, SELF } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, it } from "vitest";
import { sendCallbackReply } from "../../src/channels/callback.ts";
import { adminHeaders, deliver, trace, waitForStatus } from "../fixtures/runs.ts";
import { BASE_URL } from "../fixtures/secrets.ts";
import { marker, waitForRequest } from "../servers/client.ts";

const openaiUrl = inject("fakeOpenAiUrl");
const echoUrl = inject("echoHttpUrl");

describe("runs against real local upstreams", () => {
  it("cancel closes the in-flight OpenAI stream at the server and records the latency", async () => {
    const tag = marker("cancel");
    const { json } = await deliver("run-slow", { text: tag });
    const runId = json.runId as string;
    // The fake server has the streaming request open (one token every 200 ms, 200 tokens).
    await waitForRequest(openaiUrl, (r) => JSON.stringify(r.body).includes(tag));
    const res = await SELF.fetch(`${BASE_URL}/runs/${runId}/cancel`, {
      method: "POST",
      headers: adminHeaders,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "cancelled", latencyMs: expect.any(Number) });
    const seen = await waitForRequest(
      openaiUrl,
      (r) => JSON.stringify(r.body).includes(tag) && r.closedAt !== undefined,
    );
    expect(seen.clientClosedEarly).toBe(true);
    const done = await waitForStatus(runId, ["cancelled"]);
    expect(done.cancel?.latencyMs).toEqual(expect.any(Number));
    await expect.poll(async () => (await trace(runId)).steps[0]?.status).toBe("cancelled");
    const step = (await trace(runId)).steps[0];
    expect(step?.abortLatencyMs).toEqual(expect.any(Number));
    // Streaming 200 tokens at 200 ms would take 40 s: the step ended because it was aborted.
    expect(step?.latencyMs ?? Number.POSITIVE_INFINITY).toBeLessThan(20_000);
  });

  it("signs a callback reply with Standard Webhooks so the receiver can verify it", async () => {
    const tag = marker("reply");
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const host = new URL(echoUrl).host;
    const outcome = await sendCallbackReply(
      { CALLBACK_SECRET: secret },
      {
        channel: "generic",
        scheme: "github",
        secretEnv: ["X"],
        reply: { url: `${echoUrl}/json?m=${tag}`, secretEnv: "CALLBACK_SECRET" },
      },
      { id: `msg_${tag}`, runId: "run_x", stepId: "answer", deliveryKey: "src:1", text: "hello back" },
      [host],
    );
    expect(outcome).toEqual({ ok: true });
    const seen = await waitForRequest(echoUrl, (r) => r.path.includes(tag));
    const raw = JSON.stringify(seen.body);
    const verified = new Webhook(secret).verify(raw, seen.headers) as { text: string };
    expect(verified.text).toBe("hello back");
  });

  it("refuses a callback to a private address that is not allow-listed", async () => {
    const outcome = await sendCallbackReply(
      { CALLBACK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
      {
        channel: "generic",
        scheme: "github",
        secretEnv: ["X"],
        reply: { url: "http://169.254.169.254/latest/meta-data", secretEnv: "CALLBACK_SECRET" },
      },
      { id: "msg_1", runId: "run_x", stepId: "answer", deliveryKey: null, text: "x" },
      [],
    );
    expect(outcome).toMatchObject({ ok: false, retriable: false });
  });
});
