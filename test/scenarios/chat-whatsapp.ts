import { describe, expect, inject, it, vi } from "vitest";
import { uniqueId, whatsappWebhook } from "../fixtures/payloads.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";
import { waitForStatus } from "./fixtures.ts";
import { target } from "./target.ts";

const graphUrl = () => inject("fakeGraphUrl");

interface GraphCall {
  path: string;
  authorization: string;
  body: { to?: string; text?: { body: string }; type?: string };
}

async function graphCalls(to: string): Promise<GraphCall[]> {
  const { calls } = (await (await fetch(`${graphUrl()}/__calls`)).json()) as { calls: GraphCall[] };
  return calls.filter((c) => c.body.to === to);
}

async function sendWhatsApp(from: string, messages: { id: string; text: string }[]) {
  const res = await send(
    await signedRequest({
      scheme: "meta",
      url: `${target().baseUrl}/webhooks/whatsapp/demo-wa`,
      body: whatsappWebhook({ messages: messages.map((m) => ({ ...m, from })), phoneNumberId: "5550001" }),
      secret: TEST_BINDINGS.WHATSAPP_DEMO_APP_SECRET,
    }),
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { deliveries: { status: string; runId?: string }[] };
}

const send = (input: Request | string, init?: RequestInit) => target().fetch(new Request(input, init));

export function whatsappChatScenarios() {
  describe("WhatsApp end to end (fake Graph API on 127.0.0.1)", { timeout: 20_000 }, () => {
    it("answers a message through the Graph API with the bearer token, to the sender", async () => {
      const from = `49${Math.floor(Math.random() * 1e9)}`;
      await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "hi there" }]);
      await vi.waitFor(async () => expect(await graphCalls(from)).toHaveLength(1), { timeout: 10_000 });
      const [call] = await graphCalls(from);
      expect(call?.path).toBe("/v26.0/5550001/messages");
      expect(call?.authorization).toBe(`Bearer ${TEST_BINDINGS.WHATSAPP_DEMO_ACCESS_TOKEN}`);
      expect(call?.body.text?.body).toBe("echo: hi there");
    });

    it("marks the inbound message read", async () => {
      const from = `49${Math.floor(Math.random() * 1e9)}`;
      const id = uniqueId("wamid.");
      await sendWhatsApp(from, [{ id, text: "read me" }]);
      await vi.waitFor(
        async () => {
          const { calls } = (await (await fetch(`${graphUrl()}/__calls`)).json()) as {
            calls: { body: { status?: string; message_id?: string } }[];
          };
          expect(calls.some((c) => c.body.status === "read" && c.body.message_id === id)).toBe(true);
        },
        { timeout: 10_000 },
      );
    });

    it("never answers a redelivered wamid twice", async () => {
      const from = `49${Math.floor(Math.random() * 1e9)}`;
      const id = uniqueId("wamid.");
      const first = await sendWhatsApp(from, [{ id, text: "once" }]);
      const again = await sendWhatsApp(from, [{ id, text: "once" }]);
      expect(again.deliveries[0]?.status).toBe("duplicate");
      await waitForStatus(first.deliveries[0]?.runId as string, ["completed"]);
      await new Promise((r) => setTimeout(r, 300));
      expect(await graphCalls(from)).toHaveLength(1);
    });

    it("stops the active run on the word stop (WhatsApp has no slash commands)", async () => {
      const from = `49${Math.floor(Math.random() * 1e9)}`;
      await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "status" }]);
      await vi.waitFor(async () =>
        expect((await graphCalls(from)).map((c) => c.body.text?.body)).toContain("Idle."),
      );
      await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "Stop" }]);
      await vi.waitFor(async () =>
        expect((await graphCalls(from)).map((c) => c.body.text?.body)).toContain("Nothing to stop."),
      );
    });
  });
}
