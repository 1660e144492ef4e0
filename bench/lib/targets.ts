/**
 * What the bench sends. Every Hookline request is a NEW delivery (fresh update_id / wamid / webhook-id /
 * X-GitHub-Delivery / evt id), so every request really writes the ledger, and is signed with the same
 * signers the tests use (src/core/sign), before the timed window.
 */
import { signers } from "../../src/core/sign/index.ts";
import type { Scheme } from "../../src/core/verify/types.ts";
import { telegramUpdate, whatsappWebhook } from "../../test/fixtures/payloads.ts";
import { TEST_BINDINGS } from "../../test/fixtures/secrets.ts";

export interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Target {
  id: string;
  /** Which worker (Miniflare name) serves it. */
  worker: "hookline" | "bare-hono" | "grammy";
  kind: "hookline" | "baseline";
  scheme?: Scheme;
  describe: string;
  /** Builds (and signs) the i-th request; `now` is the signing clock. */
  make(i: number, now: number): Promise<PreparedRequest>;
  /** A response counts as success only if this holds (2xx plus, for Hookline, an `accepted` ack). */
  ok(status: number, body: string): boolean;
  /** For the duplicate check: the ack status of a delivery ("accepted" | "duplicate" | …). */
  ackStatus?(body: string): string;
}

/** How many conversations (Telegram chats, WhatsApp senders, order customers) the deliveries spread over. */
export const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 64);

/** Unique per process run; counters never repeat across warm-up, rounds or targets. */
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const RUN_BASE = Math.floor(Math.random() * 1e9);

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

async function signed(
  scheme: Scheme,
  secret: string,
  path: string,
  body: Buffer,
  now: number,
  id?: string,
  extra: Record<string, string> = {},
): Promise<PreparedRequest> {
  const headers = await signers[scheme]({ rawBody: body, secret, now, ...(id ? { id } : {}) });
  return { path, headers: { "content-type": "application/json", ...headers, ...extra }, body };
}

const any2xx = (status: number) => status >= 200 && status < 300;
/** 2xx (200, or 202 when the delivery also started a workflow run) with an `accepted` ack. */
const accepted = (status: number, body: string) => any2xx(status) && body.includes('"status":"accepted"');
const metaAccepted = (status: number, body: string) =>
  accepted(status, body) && body.includes('"messages":1');

function telegramBody(i: number): Buffer {
  return json(
    telegramUpdate({ updateId: RUN_BASE + i, chatId: 10_000 + (i % SESSIONS), text: `hello ${i}` }),
  );
}

const TELEGRAM_PATH = "/webhooks/telegram/demo-bot";

export const hooklineTargets: Target[] = [
  {
    id: "telegram",
    worker: "hookline",
    kind: "hookline",
    scheme: "telegram",
    describe: "POST /webhooks/telegram/demo-bot, secret token header, new update_id each",
    make: (i, now) =>
      signed("telegram", TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN, TELEGRAM_PATH, telegramBody(i), now),
    ok: accepted,
    ackStatus: (b) => (JSON.parse(b) as { status: string }).status,
  },
  {
    id: "meta",
    worker: "hookline",
    kind: "hookline",
    scheme: "meta",
    describe: "POST /webhooks/whatsapp/demo-wa, X-Hub-Signature-256, 1-message batch, new wamid each",
    make: (i, now) =>
      signed(
        "meta",
        TEST_BINDINGS.WHATSAPP_DEMO_APP_SECRET,
        "/webhooks/whatsapp/demo-wa",
        json(
          whatsappWebhook({
            messages: [
              { id: `wamid.${RUN}.${i}`, from: String(15_550_000_000 + (i % SESSIONS)), text: `hi ${i}` },
            ],
          }),
        ),
        now,
      ),
    ok: metaAccepted,
    ackStatus: (b) => (JSON.parse(b) as { deliveries: { status: string }[] }).deliveries[0]?.status ?? "none",
  },
  {
    id: "standard-webhooks",
    worker: "hookline",
    kind: "hookline",
    scheme: "standard-webhooks",
    describe: "POST /webhooks/in/orders, webhook-id/-timestamp/-signature, session = /customer/id",
    make: (i, now) =>
      signed(
        "standard-webhooks",
        TEST_BINDINGS.ORDERS_WEBHOOK_SECRET,
        "/webhooks/in/orders",
        json({
          type: "order.created",
          timestamp: new Date(now).toISOString(),
          customer: { id: `cus_${i % SESSIONS}` },
          data: { order: `ord_${RUN}_${i}`, total: 4200, currency: "EUR" },
        }),
        now,
        `msg_${RUN}_${i}`,
      ),
    ok: accepted,
    ackStatus: (b) => (JSON.parse(b) as { status: string }).status,
  },
  {
    id: "github",
    worker: "hookline",
    kind: "hookline",
    scheme: "github",
    describe: "POST /webhooks/in/github, X-Hub-Signature-256, new X-GitHub-Delivery each",
    make: (i, now) =>
      signed(
        "github",
        TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
        "/webhooks/in/github",
        json({
          action: "opened",
          issue: { number: i, title: `bench issue ${i}`, user: { login: "ada" } },
          repository: { id: 1, full_name: "hookline/bench" },
          sender: { login: "ada" },
        }),
        now,
        `${RUN}-${i}`,
        { "X-GitHub-Event": "issues" },
      ),
    ok: accepted,
    ackStatus: (b) => (JSON.parse(b) as { status: string }).status,
  },
  {
    id: "stripe",
    worker: "hookline",
    kind: "hookline",
    scheme: "stripe",
    describe: "POST /webhooks/in/stripe, Stripe-Signature t=…,v1=…, new evt id each",
    make: (i, now) =>
      signed(
        "stripe",
        TEST_BINDINGS.STRIPE_WEBHOOK_SECRET,
        "/webhooks/in/stripe",
        json({
          id: `evt_${RUN}_${i}`,
          object: "event",
          type: "payment_intent.succeeded",
          created: Math.floor(now / 1000),
          data: { object: { id: `pi_${i}`, object: "payment_intent", amount: 4200, currency: "eur" } },
        }),
        now,
      ),
    ok: accepted,
    ackStatus: (b) => (JSON.parse(b) as { status: string }).status,
  },
];

export const baselineTargets: Target[] = [
  {
    id: "bare-hono",
    worker: "bare-hono",
    kind: "baseline",
    describe:
      "bare Hono POST /webhooks/telegram/:bot: await c.req.arrayBuffer(), 200 JSON (Telegram-sized body)",
    make: async (i) => ({
      path: TELEGRAM_PATH,
      headers: { "content-type": "application/json" },
      body: telegramBody(i),
    }),
    ok: any2xx,
  },
  {
    id: "grammy",
    worker: "grammy",
    kind: "baseline",
    describe: 'grammY webhookCallback(bot, "cloudflare-mod", { secretToken }), bot.on("message", () => {})',
    make: (i, now) =>
      signed("telegram", TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN, TELEGRAM_PATH, telegramBody(i), now),
    ok: any2xx,
  },
];
