import { expect, vi } from "vitest";
import type { RunTrace } from "../../src/host/run-trace.ts";
import { whatsappWebhook } from "../fixtures/payloads.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";
import { fakes, target } from "./target.ts";

export const adminHeaders = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };

/** A request to Hookline, on whichever runtime the scenario runs. */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return target().fetch(new Request(`${target().baseUrl}${path}`, init));
}

/** POST with the admin token (cancel, resume). */
export function adminPost(path: string, body?: unknown): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { ...adminHeaders, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Sends a signed generic delivery (GitHub-style HMAC, no timestamp) to a run-mapped test source. */
export async function deliver(source: string, body: unknown, id: string = crypto.randomUUID()) {
  const res = await target().fetch(
    await signedRequest({
      scheme: "github",
      url: `${target().baseUrl}/webhooks/in/${source}`,
      body,
      secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
      id,
    }),
  );
  return { res, json: (await res.json()) as { status: string; runId?: string; deliveryKey: string } };
}

/** GET /runs/:id, the run's trace. */
export async function trace(runId: string): Promise<RunTrace> {
  const res = await call(`/runs/${runId}`, { headers: adminHeaders });
  if (res.status !== 200) throw new Error(`GET /runs/${runId}: ${res.status} ${await res.text()}`);
  return (await res.json()) as RunTrace;
}

/** Waits (through real queues and alarms) until the run reaches one of `statuses`. */
export async function waitForStatus(runId: string, statuses: string[], timeout = 30_000): Promise<RunTrace> {
  let last: RunTrace | undefined;
  await vi.waitFor(
    async () => {
      last = await trace(runId);
      expect(statuses).toContain(last.status);
    },
    { timeout, interval: 20 },
  );
  return last as RunTrace;
}

// ---- Telegram ---------------------------------------------------------------------------------------

let nextUpdate = Math.floor(Math.random() * 1_000_000_000);

export interface BotCall {
  method: string;
  body: Record<string, unknown>;
  receivedAt: number;
  /** The HTTP status the fake answered with (0: it hung). */
  status: number;
}

/** Sends a signed Telegram update from `chatId` (also the sender's user id unless `from` is given). */
export async function sendTelegram(
  chatId: number,
  text: string,
  /** `updateId`: send an update again (a redelivery); by default each call is a new update. */
  opts: { from?: number; callback?: { data: string }; updateId?: number } = {},
) {
  const updateId = opts.updateId ?? nextUpdate++;
  const from = { id: opts.from ?? chatId, is_bot: false, first_name: "Ada" };
  const message = {
    message_id: updateId % 100_000,
    date: 1_764_000_000,
    chat: { id: chatId, type: "private" },
    from,
    text,
  };
  const update = opts.callback
    ? {
        update_id: updateId,
        callback_query: { id: `cb-${nextUpdate}`, from, message, data: opts.callback.data },
      }
    : { update_id: updateId, message };
  const res = await target().fetch(
    await signedRequest({
      scheme: "telegram",
      url: `${target().baseUrl}/webhooks/telegram/demo-bot`,
      body: update,
      secret: TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN,
    }),
  );
  expect(res.status).toBeLessThan(300);
  return { ...((await res.json()) as { status: string; runId?: string; deliveryKey: string }), updateId };
}

/** Bot API calls the fake server saw for one chat (or, with null, all of them). */
export async function botCalls(chatId: number | null, method?: string): Promise<BotCall[]> {
  const res = await fetch(`${fakes.telegram()}/__calls`);
  const { calls } = (await res.json()) as { calls: BotCall[] };
  return calls.filter(
    (c) => (chatId === null || String(c.body.chat_id) === String(chatId)) && (!method || c.method === method),
  );
}

/** Texts sent to a chat with sendMessage, in order. */
export async function sentTexts(chatId: number): Promise<string[]> {
  return (await botCalls(chatId, "sendMessage")).map((c) => String(c.body.text));
}

export async function waitForTexts(chatId: number, count: number, timeout = 30_000): Promise<string[]> {
  let texts: string[] = [];
  await vi.waitFor(
    async () => {
      texts = await sentTexts(chatId);
      expect(texts.length).toBeGreaterThanOrEqual(count);
    },
    { timeout, interval: 25 },
  );
  return texts;
}

export const uniqueChat = () => 700_000_000 + Math.floor(Math.random() * 100_000_000);

// ---- WhatsApp ---------------------------------------------------------------------------------------

/** The business number the WhatsApp scenarios write to (the webhook's `metadata.phone_number_id`). */
export const WA_PHONE_ID = "5550001";

export interface GraphCall {
  n: number;
  path: string;
  authorization: string;
  body: {
    to?: string;
    type?: string;
    text?: { body: string };
    interactive?: { body: { text: string }; action: { buttons: { reply: { id: string; title: string } }[] } };
    status?: string;
    message_id?: string;
  };
  receivedAt: number;
  status: number;
}

/** Message POSTs the fake Graph API saw for one recipient (read receipts name no recipient). */
export async function graphCalls(to: string): Promise<GraphCall[]> {
  const { calls } = (await (await fetch(`${fakes.graph()}/__calls`)).json()) as { calls: GraphCall[] };
  return calls.filter((c) => c.body.to === to);
}

/** The texts (and interactive bodies) the fake Graph API accepted for one recipient, in order. */
export async function waTexts(to: string): Promise<string[]> {
  return (await graphCalls(to))
    .filter((c) => c.status === 200)
    .map((c) => c.body.text?.body ?? c.body.interactive?.body.text ?? "");
}

export async function waitForWaTexts(to: string, count: number, timeout = 10_000): Promise<string[]> {
  let texts: string[] = [];
  await vi.waitFor(
    async () => {
      texts = await waTexts(to);
      expect(texts.length).toBeGreaterThanOrEqual(count);
    },
    { timeout, interval: 25 },
  );
  return texts;
}

/** Sends a signed WhatsApp webhook (X-Hub-Signature-256) carrying `messages` from `from`. */
export async function sendWhatsApp(
  from: string,
  messages: { id: string; text?: string; button?: { id: string; title: string } }[],
) {
  const res = await target().fetch(
    await signedRequest({
      scheme: "meta",
      url: `${target().baseUrl}/webhooks/whatsapp/demo-wa`,
      body: whatsappWebhook({ messages: messages.map((m) => ({ ...m, from })), phoneNumberId: WA_PHONE_ID }),
      secret: TEST_BINDINGS.WHATSAPP_DEMO_APP_SECRET,
    }),
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { deliveries: { status: string; runId?: string }[] };
}

/** A fresh sender number, so scenarios sharing the fake Graph API (and a session) never meet. */
export const uniqueWaNumber = () => `49${Math.floor(Math.random() * 1e9)}`;
