import { describe, expect, it } from "vitest";
import { telegramUpdate } from "../fixtures/payloads.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";
import { target } from "./target.ts";

const url = () => `${target().baseUrl}/webhooks/telegram/demo-bot`;
const secret = TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN;
const post = async (body: unknown, headers?: Record<string, string>) =>
  send(await signedRequest({ scheme: "telegram", url: url(), body, secret, headers }));

const send = (input: Request | string, init?: RequestInit) => target().fetch(new Request(input, init));

export function telegramIngressScenarios() {
  describe("POST /webhooks/telegram/:bot", () => {
    it("accepts a verified update and acknowledges it with its delivery key and the run it starts", async () => {
      const update = telegramUpdate();
      const res = await post(update);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({
        status: "accepted",
        deliveryKey: `demo-bot:${update.update_id}`,
        runId: expect.stringMatching(/^run_/),
      });
    });

    it("answers a redelivered update_id with 200 duplicate and its seen count", async () => {
      const update = telegramUpdate();
      const first = (await (await post(update)).json()) as { runId: string };
      const again = await post(update);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({
        status: "duplicate",
        deliveryKey: `demo-bot:${update.update_id}`,
        seenCount: 2,
        runId: first.runId,
      });
    });

    it("rejects a wrong secret token with 401 bad_signature", async () => {
      const res = await post(telegramUpdate(), { "X-Telegram-Bot-Api-Secret-Token": "not-the-secret" });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "bad_signature" });
    });

    it("rejects a request without the secret token header with 401 missing_header", async () => {
      const res = await send(url(), { method: "POST", body: JSON.stringify(telegramUpdate()) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "missing_header" });
    });

    it("answers an unknown bot with 404 unknown_source", async () => {
      const res = await send(
        await signedRequest({
          scheme: "telegram",
          url: `${target().baseUrl}/webhooks/telegram/nobody`,
          body: {},
          secret,
        }),
      );
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: "unknown_source" });
    });

    it("does not serve a generic source on the telegram route", async () => {
      const res = await send(
        await signedRequest({
          scheme: "telegram",
          url: `${target().baseUrl}/webhooks/telegram/orders`,
          body: {},
          secret,
        }),
      );
      expect(res.status).toBe(404);
    });

    it("rejects a verified body that is not JSON with 400 malformed_json", async () => {
      const res = await post("{not json");
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "malformed_json" });
    });

    it("rejects a verified update without update_id with 400 naming the path", async () => {
      const { update_id: _, ...rest } = telegramUpdate();
      const res = await post(rest);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_payload", path: "update_id" });
    });

    it("checks the signature before parsing: a forged malformed body is 401, not 400", async () => {
      const res = await post("{not json", { "X-Telegram-Bot-Api-Secret-Token": "forged" });
      expect(res.status).toBe(401);
    });

    it("refuses a body over the 1 MiB default with 413 before verifying it", async () => {
      const big = JSON.stringify({ ...telegramUpdate(), pad: "x".repeat(1_048_576) });
      const res = await post(big);
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: "payload_too_large" });
    });
  });
}
