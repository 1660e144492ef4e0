import { describe, expect, it } from "vitest";
import { uniqueId } from "../fixtures/payloads.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";
import { target } from "./target.ts";

const order = (customer = "cus_42") => ({
  type: "order.created",
  customer: { id: customer },
  order: { id: "ord_1" },
});
const sendTo = async (
  source: string,
  scheme: "standard-webhooks" | "github" | "stripe",
  body: unknown,
  opts: { secret: string; id?: string; now?: number; headers?: Record<string, string> },
) => raw(await signedRequest({ scheme, url: `${target().baseUrl}/webhooks/in/${source}`, body, ...opts }));

const raw = (input: Request | string, init?: RequestInit) => target().fetch(new Request(input, init));

export function genericScenarios() {
  describe("POST /webhooks/in/:source (Standard Webhooks)", () => {
    const secret = TEST_BINDINGS.ORDERS_WEBHOOK_SECRET;

    it("accepts a signed delivery and keys it by webhook-id", async () => {
      const id = uniqueId("msg_");
      const res = await sendTo("orders", "standard-webhooks", order(), { secret, id });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({
        status: "accepted",
        deliveryKey: `orders:${id}`,
        runId: expect.stringMatching(/^run_/),
        // The sender's own read token for GET /runs/:id (see the runs scenarios).
        runToken: expect.stringMatching(/^rt_[0-9a-f]{40}$/),
      });
    });

    it("answers the same webhook-id re-signed at a later retry as a duplicate", async () => {
      const id = uniqueId("msg_");
      await sendTo("orders", "standard-webhooks", order(), { secret, id, now: Date.now() - 60_000 });
      const retry = await sendTo("orders", "standard-webhooks", order(), { secret, id });
      expect(await retry.json()).toMatchObject({ status: "duplicate", seenCount: 2 });
    });

    it("rejects a replayed delivery older than 5 minutes with 401 stale", async () => {
      const res = await sendTo("orders", "standard-webhooks", order(), {
        secret,
        now: Date.now() - 6 * 60_000,
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "stale" });
    });

    it("rejects a timestamp more than 5 minutes in the future with 401 stale", async () => {
      const res = await sendTo("orders", "standard-webhooks", order(), {
        secret,
        now: Date.now() + 6 * 60_000,
      });
      expect(res.status).toBe(401);
    });

    it("rejects a signature made with another key with 401 bad_signature", async () => {
      const res = await sendTo("orders", "standard-webhooks", order(), {
        secret: "whsec_c29tZW9uZS1lbHNlcy1rZXk=",
      });
      expect(await res.json()).toMatchObject({ error: "bad_signature" });
    });

    it("accepts either key while a rotation is in progress", async () => {
      for (const key of [TEST_BINDINGS.ROTATING_SECRET_OLD, TEST_BINDINGS.ROTATING_SECRET_NEW]) {
        const res = await sendTo("rotating", "standard-webhooks", order(), { secret: key });
        expect(await res.json()).toMatchObject({ status: "accepted" });
      }
    });

    it("fails closed with 503 no_secret when the source's secret is not set, and records nothing", async () => {
      const res = await sendTo("no-secret", "standard-webhooks", order(), { secret: "whsec_YW55dGhpbmc=" });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("30");
      expect(await res.json()).toMatchObject({ error: "no_secret" });
    });

    it("answers an unknown source with 404 unknown_source", async () => {
      const res = await sendTo("nope", "standard-webhooks", order(), { secret });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: "unknown_source" });
    });

    it("refuses a body over the source's maxBodyBytes with 413, even without Content-Length", async () => {
      const body = JSON.stringify({ pad: "x".repeat(300) });
      const stream = new Blob([body]).stream();
      const req = await signedRequest({
        scheme: "github",
        url: `${target().baseUrl}/webhooks/in/tiny`,
        body,
        secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
      });
      const res = await raw(req.url, { method: "POST", headers: req.headers, body: stream });
      expect(res.status).toBe(413);
    });
  });

  describe("POST /webhooks/in/:source (GitHub and Stripe)", () => {
    it("accepts a GitHub delivery and keys it by X-GitHub-Delivery", async () => {
      const id = crypto.randomUUID();
      const res = await sendTo(
        "github",
        "github",
        { zen: "Keep it logically awesome." },
        {
          secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
          id,
        },
      );
      expect(await res.json()).toEqual({ status: "accepted", deliveryKey: `github:${id}` });
    });

    it("rejects a verified GitHub delivery without X-GitHub-Delivery with 400 missing_delivery_id", async () => {
      const req = await signedRequest({
        scheme: "github",
        url: `${target().baseUrl}/webhooks/in/github`,
        body: { zen: "x" },
        secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
      });
      req.headers.delete("x-github-delivery");
      const res = await raw(req);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "missing_delivery_id" });
    });

    it("keys a Stripe event by its evt_ id, so a retried event is a duplicate", async () => {
      const event = { id: uniqueId("evt_"), object: "event", type: "invoice.paid" };
      const secret = TEST_BINDINGS.STRIPE_WEBHOOK_SECRET;
      expect(await (await sendTo("stripe", "stripe", event, { secret })).json()).toMatchObject({
        status: "accepted",
      });
      expect(await (await sendTo("stripe", "stripe", event, { secret })).json()).toMatchObject({
        status: "duplicate",
      });
    });

    it("rejects a Stripe signature older than 300 s with 401 stale", async () => {
      const event = { id: uniqueId("evt_"), object: "event" };
      const res = await sendTo("stripe", "stripe", event, {
        secret: TEST_BINDINGS.STRIPE_WEBHOOK_SECRET,
        now: Date.now() - 301_000,
      });
      expect(await res.json()).toMatchObject({ error: "stale" });
    });
  });
}
