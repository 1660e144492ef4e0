import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { ledgerShard } from "../../src/core/inbound/generic.ts";
import { telegramUpdate, uniqueId } from "../fixtures/payloads.ts";
import { BASE_URL, TEST_BINDINGS } from "../fixtures/secrets.ts";
import { bodyBytes, signedRequest } from "../fixtures/signed-request.ts";

const tg = (update: unknown) =>
  signedRequest({
    scheme: "telegram",
    url: `${BASE_URL}/webhooks/telegram/demo-bot`,
    body: update,
    secret: TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN,
  });

describe("durable dedup", () => {
  it("accepts exactly one of 200 concurrent copies of one delivery", async () => {
    const update = telegramUpdate({ chatId: 777 });
    const template = await tg(update);
    const body = bodyBytes(update);
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        SELF.fetch(template.url, { method: "POST", headers: template.headers, body }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { status: string },
        })),
      ),
    );
    const accepted = results.filter((r) => r.body.status === "accepted");
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.status).toBe(202);
    const duplicates = results.filter((r) => r.body.status === "duplicate");
    expect(duplicates).toHaveLength(199);
    expect(duplicates.every((r) => r.status === 200)).toBe(true);
    const stub = env.SESSIONS.getByName("tg:demo-bot:chat:777");
    const row = await stub.getDelivery(`demo-bot:${update.update_id}`);
    expect(row?.seenCount).toBe(200);
    // All 200 ledger changes reach the admin index (by the 50 ms flush alarm, or now), keeping the highest count.
    await vi.waitFor(async () => {
      await runDurableObjectAlarm(stub);
      const indexed = await env.OPS.getByName("global").getDelivery(`demo-bot:${update.update_id}`);
      expect(indexed?.seenCount).toBe(200);
    });
  });

  it("answers 503 not_recorded, never 200, when the ledger cannot be written", async () => {
    const update = telegramUpdate({ chatId: 31337 });
    const stub = env.SESSIONS.getByName("tg:demo-bot:chat:31337");
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("DROP TABLE deliveries");
    });
    const res = await SELF.fetch(await tg(update));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toMatchObject({ error: "not_recorded" });
  });

  it("keeps the durable record with its normalized event before acknowledging", async () => {
    const update = telegramUpdate({ chatId: 4242, text: "keep me" });
    const res = await SELF.fetch(await tg(update));
    expect(res.status).toBe(202);
    const row = await env.SESSIONS.getByName("tg:demo-bot:chat:4242").getDelivery(
      `demo-bot:${update.update_id}`,
    );
    expect(row).toMatchObject({ source: "demo-bot", channel: "telegram", outcome: "accepted", seenCount: 1 });
    expect(row && row.expiresAt - row.receivedAt).toBe(26 * 3_600_000);
    expect(JSON.parse(row?.event ?? "{}")).toMatchObject({
      text: "keep me",
      sessionKey: "tg:demo-bot:chat:4242",
    });
  });

  it("purges an expired key by alarm, after which the same id is accepted again", async () => {
    const id = uniqueId("gh-");
    const send = async () =>
      SELF.fetch(
        await signedRequest({
          scheme: "github",
          url: `${BASE_URL}/webhooks/in/short-memory`,
          body: { zen: "x" },
          secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
          id,
        }),
      );
    expect(await (await send()).json()).toMatchObject({ status: "accepted" });
    const stub = env.SESSIONS.getByName(`in:short-memory:ledger:${ledgerShard(id)}`);
    await new Promise((r) => setTimeout(r, 5));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.getDelivery(`short-memory:${id}`)).toBeNull();
    expect(await (await send()).json()).toMatchObject({ status: "accepted" });
  });

  it("shares one session between generic deliveries with the same sessionKey pointer value", async () => {
    const secret = TEST_BINDINGS.ORDERS_WEBHOOK_SECRET;
    const ids = [uniqueId("msg_"), uniqueId("msg_")];
    for (const id of ids) {
      const req = await signedRequest({
        scheme: "standard-webhooks",
        url: `${BASE_URL}/webhooks/in/orders`,
        body: { customer: { id: "cus_shared" } },
        secret,
        id,
      });
      expect((await SELF.fetch(req)).status).toBe(202);
    }
    const stub = env.SESSIONS.getByName("in:orders:cus_shared");
    for (const id of ids) expect(await stub.getDelivery(`orders:${id}`)).not.toBeNull();
  });
});
