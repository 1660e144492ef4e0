import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { resourcesFor } from "../../src/durable/resources.ts";
import type { Env } from "../../src/env.ts";

/** The real app over the real bindings; a copied env gets its own (here: token-less) resources. */
const app = createApp((e) => resourcesFor(e as Env));

import { telegramUpdate } from "../fixtures/payloads.ts";
import { BASE_URL, TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";

const auth = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };

async function deliverTelegram(chatId: number) {
  const update = telegramUpdate({ chatId, text: "indexed" });
  const res = await SELF.fetch(
    await signedRequest({
      scheme: "telegram",
      url: `${BASE_URL}/webhooks/telegram/demo-bot`,
      body: update,
      secret: TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN,
    }),
  );
  expect(res.status).toBe(202);
  // The session flushes its outbox to the index by alarm; run it now instead of waiting 50 ms.
  await runDurableObjectAlarm(env.SESSIONS.getByName(`tg:demo-bot:chat:${chatId}`));
  return `demo-bot:${update.update_id}`;
}

describe("admin API", () => {
  it("refuses a request without a bearer token with 401", async () => {
    const res = await SELF.fetch(`${BASE_URL}/admin/deliveries`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("refuses a wrong bearer token with 401", async () => {
    const res = await SELF.fetch(`${BASE_URL}/admin/deliveries`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(res.status).toBe(401);
  });

  it("stays closed (403 admin_disabled) when the admin token is unset", async () => {
    const res = await app.request(
      "/admin/deliveries",
      { headers: auth },
      { ...env, HOOKLINE_ADMIN_TOKEN: "" },
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "admin_disabled" });
  });

  it("lists deliveries by source and since, newest first", async () => {
    const before = Date.now();
    const key = await deliverTelegram(9001);
    const res = await SELF.fetch(`${BASE_URL}/admin/deliveries?source=demo-bot&since=${before}`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    const { deliveries } = (await res.json()) as { deliveries: { key: string; source: string }[] };
    expect(deliveries.map((d) => d.key)).toContain(key);
    expect(deliveries.every((d) => d.source === "demo-bot")).toBe(true);
    const later = await SELF.fetch(
      `${BASE_URL}/admin/deliveries?since=${new Date(Date.now() + 60_000).toISOString()}`,
      {
        headers: auth,
      },
    );
    expect(((await later.json()) as { deliveries: unknown[] }).deliveries).toEqual([]);
  });

  it("shows one delivery with its normalized event and seen count", async () => {
    const key = await deliverTelegram(9002);
    const res = await SELF.fetch(`${BASE_URL}/admin/deliveries/${encodeURIComponent(key)}`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      key,
      outcome: "accepted",
      seenCount: 1,
      sessionKey: "tg:demo-bot:chat:9002",
      event: { channel: "telegram", text: "indexed", sender: { id: "9002", name: "Ada" } },
      // The trigger decision is kept with the record: no rule matched, so the source's workflow took it.
      decision: { event: "reaction.match", data: { rule: "source:demo-bot", channel: "telegram" } },
    });
  });

  it("answers a bad since with 400 and an unknown key with 404", async () => {
    expect((await SELF.fetch(`${BASE_URL}/admin/deliveries?since=yesterday`, { headers: auth })).status).toBe(
      400,
    );
    expect((await SELF.fetch(`${BASE_URL}/admin/deliveries/nope`, { headers: auth })).status).toBe(404);
  });
});
