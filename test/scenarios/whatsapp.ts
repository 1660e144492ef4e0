import { describe, expect, it } from "vitest";
import { uniqueId, whatsappWebhook } from "../fixtures/payloads.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";
import { target } from "./target.ts";

const url = () => `${target().baseUrl}/webhooks/whatsapp/demo-wa`;
const secret = TEST_BINDINGS.WHATSAPP_DEMO_APP_SECRET;
const post = async (body: unknown, headers?: Record<string, string>) =>
  send(await signedRequest({ scheme: "meta", url: url(), body, secret, headers }));
const handshake = (params: Record<string, string>) => send(`${url()}?${new URLSearchParams(params)}`);

const send = (input: Request | string, init?: RequestInit) => target().fetch(new Request(input, init));

export function whatsappIngressScenarios() {
  describe("GET /webhooks/whatsapp/:app (verify-token handshake)", () => {
    it("echoes hub.challenge when the verify token is right", async () => {
      const res = await handshake({
        "hub.mode": "subscribe",
        "hub.verify_token": TEST_BINDINGS.WHATSAPP_DEMO_VERIFY_TOKEN,
        "hub.challenge": "1158201444",
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("1158201444");
    });

    it("refuses a wrong verify token with 403 and does not echo the challenge", async () => {
      const res = await handshake({
        "hub.mode": "subscribe",
        "hub.verify_token": "wrong",
        "hub.challenge": "42",
      });
      expect(res.status).toBe(403);
      const body = await res.text();
      expect(JSON.parse(body)).toMatchObject({ error: "bad_verify_token" });
      expect(body).not.toContain("42");
    });

    it("answers a handshake without hub.challenge with 400", async () => {
      const res = await handshake({
        "hub.mode": "subscribe",
        "hub.verify_token": TEST_BINDINGS.WHATSAPP_DEMO_VERIFY_TOKEN,
      });
      expect(res.status).toBe(400);
    });

    it("answers an unknown app with 404", async () => {
      const res = await send(`${target().baseUrl}/webhooks/whatsapp/ghost?hub.mode=subscribe`);
      expect(res.status).toBe(404);
    });
  });

  describe("POST /webhooks/whatsapp/:app", () => {
    it("splits a multi-message delivery into one delivery per wamid and records statuses apart", async () => {
      const [a, b, s] = [uniqueId("wamid.A"), uniqueId("wamid.B"), uniqueId("wamid.S")];
      const body = whatsappWebhook({
        messages: [
          { id: a, from: "4915550001", text: "first" },
          { id: b, from: "4915550002", text: "second" },
        ],
        statuses: [{ id: s, status: "delivered", recipient: "4915550001" }],
      });
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        status: "ok",
        messages: 2,
        statuses: 1,
        deliveries: [
          { deliveryKey: `demo-wa:${a}`, status: "accepted", runId: expect.stringMatching(/^run_/) },
          { deliveryKey: `demo-wa:${b}`, status: "accepted", runId: expect.stringMatching(/^run_/) },
          // A status is recorded but starts nothing, so it names no run.
          { deliveryKey: `demo-wa:status:${s}:delivered`, status: "recorded" },
        ],
      });
    });

    it("never accepts a redelivered wamid twice, even inside a different batch", async () => {
      const a = uniqueId("wamid.A");
      const first = await post(whatsappWebhook({ messages: [{ id: a, from: "4915550003" }] }));
      expect(first.status).toBe(200);
      const c = uniqueId("wamid.C");
      const second = await post(
        whatsappWebhook({
          messages: [
            { id: a, from: "4915550003" },
            { id: c, from: "4915550003" },
          ],
        }),
      );
      expect(await second.json()).toMatchObject({
        deliveries: [
          { deliveryKey: `demo-wa:${a}`, status: "duplicate" },
          { deliveryKey: `demo-wa:${c}`, status: "accepted" },
        ],
      });
    });

    it("records a statuses-only delivery without accepting any message", async () => {
      const s = uniqueId("wamid.S");
      const res = await post(
        whatsappWebhook({ statuses: [{ id: s, status: "read", recipient: "4915550004" }] }),
      );
      expect(await res.json()).toMatchObject({
        messages: 0,
        statuses: 1,
        deliveries: [{ status: "recorded" }],
      });
    });

    it("rejects a body signed with another app secret with 401 bad_signature", async () => {
      const res = await send(
        await signedRequest({
          scheme: "meta",
          url: url(),
          body: whatsappWebhook({}),
          secret: "some-other-app-secret",
        }),
      );
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "bad_signature" });
    });

    it("rejects a verified body that is not a WhatsApp webhook with 400 naming the path", async () => {
      const res = await post({ object: "page", entry: [] });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_payload", path: "object" });
    });

    it("names the path of a malformed message inside a change", async () => {
      const body = whatsappWebhook({ messages: [{ id: uniqueId("wamid."), from: "1" }] });
      const corrupt = JSON.parse(JSON.stringify(body).replace(/"id":"wamid\.[^"]+"/, '"id":42'));
      const res = await post(corrupt);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ path: "entry[0].changes[0].value.messages[0].id" });
    });
  });
}
