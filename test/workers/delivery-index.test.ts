import { env, evictDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { sendTelegram, uniqueChat } from "../fixtures/chat.ts";
import { adminHeaders, deliver } from "../fixtures/runs.ts";
import { BASE_URL } from "../fixtures/secrets.ts";

type Indexed = { key: string; seenCount: number; indexed?: boolean };

const single = async (key: string) => {
  const res = await SELF.fetch(`${BASE_URL}/admin/deliveries/${encodeURIComponent(key)}`, {
    headers: adminHeaders,
  });
  return { status: res.status, body: (await res.json()) as Indexed };
};
const listed = async (source: string) => {
  const res = await SELF.fetch(`${BASE_URL}/admin/deliveries?source=${source}&limit=500`, {
    headers: adminHeaders,
  });
  return ((await res.json()) as { deliveries: Indexed[] }).deliveries;
};
const indexedWithin2s = (key: string) =>
  vi.waitFor(
    async () => {
      const found = await single(key);
      expect(found.status).toBe(200);
      expect(found.body.indexed).toBe(true);
    },
    { timeout: 6_000, interval: 50 },
  );

// The admin index must show every accepted delivery within about a second: also the second message of a
// session, and also after the session's object restarted (when the only alarm left was the retention purge).
describe("delivery index", { timeout: 60_000 }, () => {
  it("indexes every accepted delivery within 2 s, a second message and one after a restart included", async () => {
    const chat = uniqueChat();
    const first = await sendTelegram(chat, "first");
    expect(first.status).toBe("accepted");
    await indexedWithin2s(first.deliveryKey);

    const second = await sendTelegram(chat, "second");
    await indexedWithin2s(second.deliveryKey);

    // The session object restarts; its only alarm is now the retention purge, hours away.
    await evictDurableObject(env.SESSIONS.getByName(`tg:demo-bot:chat:${chat}`));
    const third = await sendTelegram(chat, "third, after a restart");
    await indexedWithin2s(third.deliveryKey);
  });

  it("shows the same seen count in the list and in the single view", async () => {
    const chat = uniqueChat();
    const ack = await sendTelegram(chat, "count me");
    const key = ack.deliveryKey;
    await indexedWithin2s(key);
    await vi.waitFor(
      async () => {
        const one = await single(key);
        const inList = (await listed("demo-bot")).find((d) => d.key === key);
        expect(inList?.seenCount).toBe(one.body.seenCount);
      },
      { timeout: 9_000, interval: 100 },
    );
  });

  it("answers the single view from the ledger before the index has the key", async () => {
    // A generic delivery's ledger session follows from its key: no wait for the index flush.
    const { json } = await deliver("run-echo", { text: "look me up now" });
    const now = await single(json.deliveryKey);
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ key: json.deliveryKey, seenCount: 1 });
    // A chat delivery's session is not in its key: the caller names it.
    const chat = uniqueChat();
    const sent = await sendTelegram(chat, "where am I");
    const res = await SELF.fetch(
      `${BASE_URL}/admin/deliveries/${encodeURIComponent(sent.deliveryKey)}?session=${encodeURIComponent(`tg:demo-bot:chat:${chat}`)}`,
      { headers: adminHeaders },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ key: sent.deliveryKey });
  });
});
