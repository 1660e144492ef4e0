import { SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { telegramUpdate, whatsappWebhook } from "../fixtures/payloads.ts";
import { adminHeaders, deliver, waitForStatus } from "../fixtures/runs.ts";
import { BASE_URL, TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";
import { readSse } from "../scenarios/sse.ts";

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

  it("logs a failing outbound call (the bot's reply to a chat Telegram refuses) without any secret", async () => {
    // The fake Bot API refuses every call for this chat: the session's /help reply fails and is logged. Its
    // description echoes the bot token, as an API or proxy error might: the log must carry it scrubbed.
    const chatId = 990_000 + Math.floor(Math.random() * 9_999);
    const fake = inject("fakeTelegramUrl");
    const rejected = await fetch(`${fake}/__reject-chat`, {
      method: "POST",
      body: JSON.stringify({
        chatId: String(chatId),
        code: 403,
        description: `Forbidden: bot ${TEST_BINDINGS.TELEGRAM_DEMO_BOT_TOKEN} was blocked by the user`,
      }),
    });
    expect(rejected.status).toBe(200);
    const res = await SELF.fetch(
      await signedRequest({
        scheme: "telegram",
        url: `${BASE_URL}/webhooks/telegram/demo-bot`,
        body: telegramUpdate({ chatId, text: "/help" }),
        secret: TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN,
      }),
    );
    expect(res.status).toBeLessThan(300);
    await expect
      .poll(() => logged.find((line) => line.includes("failed") && line.includes("blocked")), {
        timeout: 15_000,
      })
      .toBeDefined();
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) for (const secret of secretValues) expect(line).not.toContain(secret);
  });

  it("keeps an API key the model server echoes out of the step error, the trace, the run's events and the logs", async () => {
    // The fake model server's 401 quotes the Authorization header it got, as a careless proxy might.
    const { json } = await deliver("run-leak", { text: "hello" });
    const runId = json.runId as string;
    const done = await waitForStatus(runId, ["failed"]);
    const error = done.steps[0]?.error ?? "";
    // The failure is still explained, with the key masked where it stood.
    expect(error).toContain("returned 401: Incorrect API key provided: [redacted]");
    const traceText = JSON.stringify(done);
    const res = await SELF.fetch(`${BASE_URL}/runs/${runId}/stream`, { headers: adminHeaders });
    const events = await readSse(res, (e) => e.event === "end");
    const eventsText = JSON.stringify(events);
    expect(eventsText).toContain("[redacted]");
    for (const secret of secretValues) {
      expect(traceText).not.toContain(secret);
      expect(eventsText).not.toContain(secret);
      for (const line of logged) expect(line).not.toContain(secret);
    }
  });
});
