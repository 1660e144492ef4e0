import { SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { telegramUpdate, whatsappWebhook } from "../fixtures/payloads.ts";
import { BASE_URL, TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";

const secretValues = Object.values(TEST_BINDINGS);
let logged: string[] = [];

beforeEach(() => {
  logged = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    });
  }
});
afterEach(() => vi.restoreAllMocks());

describe("secrets never reach responses or logs", () => {
  it("keeps every configured secret out of every error body, header and log line", async () => {
    const url = (path: string) => `${BASE_URL}${path}`;
    const wrong = "definitely-wrong-secret";
    const requests: Request[] = [
      await signedRequest({
        scheme: "telegram",
        url: url("/webhooks/telegram/demo-bot"),
        body: telegramUpdate(),
        secret: wrong,
      }),
      await signedRequest({
        scheme: "meta",
        url: url("/webhooks/whatsapp/demo-wa"),
        body: whatsappWebhook({}),
        secret: wrong,
      }),
      await signedRequest({
        scheme: "standard-webhooks",
        url: url("/webhooks/in/orders"),
        body: {},
        secret: "whsec_d3Jvbmc=",
      }),
      await signedRequest({ scheme: "github", url: url("/webhooks/in/github"), body: {}, secret: wrong }),
      await signedRequest({ scheme: "stripe", url: url("/webhooks/in/stripe"), body: {}, secret: wrong }),
      await signedRequest({
        scheme: "standard-webhooks",
        url: url("/webhooks/in/no-secret"),
        body: {},
        secret: "whsec_d3Jvbmc=",
      }),
      await signedRequest({
        scheme: "telegram",
        url: url("/webhooks/telegram/demo-bot"),
        body: "{broken",
        secret: TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN,
      }),
      new Request(url("/webhooks/whatsapp/demo-wa?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1")),
      new Request(url("/admin/deliveries"), { headers: { authorization: "Bearer wrong" } }),
      new Request(url("/health")),
      new Request(url("/nowhere")),
    ];
    for (const req of requests) {
      const res = await SELF.fetch(req);
      const text = `${res.status} ${[...res.headers].join(" ")} ${await res.text()}`;
      for (const secret of secretValues) expect(text).not.toContain(secret);
    }
    for (const line of logged) for (const secret of secretValues) expect(line).not.toContain(secret);
  });
});
