import { describe, expect, it, vi } from "vitest";
import { uniqueId } from "../fixtures/payloads.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import {
  graphCalls,
  sendWhatsApp,
  uniqueWaNumber,
  WA_PHONE_ID,
  waitForStatus,
  waitForWaTexts,
  waTexts,
} from "./fixtures.ts";
import { fakes } from "./target.ts";

/** Waits for the approval prompt sent to `to` and returns its reply buttons (id and title). */
async function approvalButtons(to: string): Promise<{ id: string; title: string }[]> {
  let buttons: { id: string; title: string }[] = [];
  await vi.waitFor(
    async () => {
      const prompt = (await graphCalls(to)).find((c) => c.body.type === "interactive");
      expect(prompt).toBeDefined();
      buttons = prompt?.body.interactive?.action.buttons.map((b) => b.reply) ?? [];
    },
    { timeout: 15_000, interval: 25 },
  );
  return buttons;
}

/** Waits until `count` texts went to `to`, then a little longer, and returns them all (for "only once"). */
async function settledTexts(to: string, count: number): Promise<string[]> {
  await waitForWaTexts(to, count);
  await new Promise((r) => setTimeout(r, 400));
  return waTexts(to);
}

export function whatsappChatScenarios() {
  describe("WhatsApp end to end (fake Graph API on 127.0.0.1)", { timeout: 60_000 }, () => {
    it("answers a message through the Graph API with the bearer token, to the sender", async () => {
      const from = uniqueWaNumber();
      await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "hi there" }]);
      await vi.waitFor(async () => expect(await graphCalls(from)).toHaveLength(1), { timeout: 30_000 });
      const [call] = await graphCalls(from);
      expect(call?.path).toBe(`/v26.0/${WA_PHONE_ID}/messages`);
      expect(call?.authorization).toBe(`Bearer ${TEST_BINDINGS.WHATSAPP_DEMO_ACCESS_TOKEN}`);
      expect(call?.body.text?.body).toBe("echo: hi there");
    });

    it("marks the inbound message read", async () => {
      const from = uniqueWaNumber();
      const id = uniqueId("wamid.");
      await sendWhatsApp(from, [{ id, text: "read me" }]);
      await vi.waitFor(
        async () => {
          const { calls } = (await (await fetch(`${fakes.graph()}/__calls`)).json()) as {
            calls: { body: { status?: string; message_id?: string } }[];
          };
          expect(calls.some((c) => c.body.status === "read" && c.body.message_id === id)).toBe(true);
        },
        { timeout: 30_000 },
      );
    });

    it("never answers a redelivered wamid twice", async () => {
      const from = uniqueWaNumber();
      const id = uniqueId("wamid.");
      const first = await sendWhatsApp(from, [{ id, text: "once" }]);
      const again = await sendWhatsApp(from, [{ id, text: "once" }]);
      expect(again.deliveries[0]?.status).toBe("duplicate");
      await waitForStatus(first.deliveries[0]?.runId as string, ["completed"]);
      await new Promise((r) => setTimeout(r, 300));
      expect(await graphCalls(from)).toHaveLength(1);
    });

    it("stops the active run on the word stop (WhatsApp has no slash commands)", async () => {
      const from = uniqueWaNumber();
      await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "status" }]);
      await vi.waitFor(async () => expect(await waTexts(from)).toContain("Idle."));
      await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "Stop" }]);
      await vi.waitFor(async () => expect(await waTexts(from)).toContain("Nothing to stop."));
    });

    it("asks for approval with reply buttons; a press approves once, a repeated or redelivered press does nothing", async () => {
      const from = uniqueWaNumber();
      const ack = await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "approve refund 20 EUR" }]);
      const runId = ack.deliveries[0]?.runId as string;
      const buttons = await approvalButtons(from);
      expect(buttons.map((b) => b.title)).toEqual(["Approve", "Reject"]);
      expect((await graphCalls(from))[0]?.body.interactive?.body.text).toBe("Approve the refund?");
      const [approve] = buttons as [{ id: string; title: string }];
      const press = { id: uniqueId("wamid."), button: approve };
      expect((await sendWhatsApp(from, [press])).deliveries[0]?.status).not.toBe("duplicate");
      await waitForStatus(runId, ["completed"]);
      // Meta redelivers the same press (same wamid): ingress drops it. The user presses again (a new wamid).
      expect((await sendWhatsApp(from, [press])).deliveries[0]?.status).toBe("duplicate");
      await sendWhatsApp(from, [{ id: uniqueId("wamid."), button: approve }]);
      const texts = await settledTexts(from, 4);
      expect(texts.slice(1).sort()).toEqual(["Already answered.", "Approved.", "approved=true"].sort());
      expect((await waitForStatus(runId, ["completed"])).output).toMatchObject({ done: true });
    });

    it("rejects through the Reject button; a press after the wait timed out has expired", async () => {
      const from = uniqueWaNumber();
      const asked = await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "approve please" }]);
      const [, reject] = (await approvalButtons(from)) as [unknown, { id: string; title: string }];
      await sendWhatsApp(from, [{ id: uniqueId("wamid."), button: reject }]);
      await waitForStatus(asked.deliveries[0]?.runId as string, ["completed"]);
      expect((await waitForWaTexts(from, 3)).slice(1).sort()).toEqual(["Rejected.", "approved=false"]);

      // A 300 ms wait: nobody answers, the chat is told; its Approve button no longer counts.
      const other = uniqueWaNumber();
      const hurried = await sendWhatsApp(other, [{ id: uniqueId("wamid."), text: "hurry" }]);
      const [approve] = (await approvalButtons(other)) as [{ id: string; title: string }];
      await waitForStatus(hurried.deliveries[0]?.runId as string, ["completed"]);
      await waitForWaTexts(other, 3);
      await sendWhatsApp(other, [{ id: uniqueId("wamid."), button: approve }]);
      const texts = await settledTexts(other, 4);
      expect(texts.slice(1, 3).sort()).toEqual(["No answer in time.", "no answer"]);
      expect(texts.slice(3)).toEqual(["This button has expired."]);
    });

    it("collects a burst into one run, in arrival order (onBusy: collect)", async () => {
      const from = uniqueWaNumber();
      // Meta batches a burst into one POST: three deliveries, each its own wamid, in the window together.
      await sendWhatsApp(
        from,
        ["a", "b", "c"].map((word) => ({ id: uniqueId("wamid."), text: `wcol ${word}` })),
      );
      expect(await settledTexts(from, 1)).toEqual(["collected 3: wcol a .. wcol c"]);
    });

    it("interrupts the active run with a new message (onBusy: interrupt)", async () => {
      const from = uniqueWaNumber();
      const first = await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "wint first" }]);
      await sendWhatsApp(from, [{ id: uniqueId("wamid."), text: "wint second" }]);
      const cancelled = await waitForStatus(first.deliveries[0]?.runId as string, ["cancelled"]);
      expect(cancelled.cancel?.source).toBe("whatsapp:interrupt");
      expect(await settledTexts(from, 1)).toEqual(["echo: wint second"]);
    });
  });
}
