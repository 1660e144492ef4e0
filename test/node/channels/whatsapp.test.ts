import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChannelError } from "../../../src/channels/types.ts";
import { createWhatsAppSender, type WhatsAppSenderOptions } from "../../../src/channels/whatsapp.ts";
import { type FakeGraph, startFakeGraph } from "../../servers/fake-graph.ts";

const TOKEN = "EAAGtestSecretAccessToken123";
const PHONE_ID = "106540352242922";
const USER = "16505551234";

let graph: FakeGraph;
beforeAll(async () => {
  graph = await startFakeGraph();
});
afterAll(() => graph.close());
beforeEach(() => graph.reset());

const sender = (extra: Partial<WhatsAppSenderOptions> = {}) =>
  createWhatsAppSender({ accessToken: TOKEN, phoneNumberId: PHONE_ID, baseUrl: graph.url, ...extra });

/** The ids the fake Graph handed out since the last reset, in order (its counter never restarts). */
const wamids = () => graph.calls.map((c) => `wamid.${c.n}`);

/** The ChannelError a failing call throws (fails the test when it resolves). */
async function failure(call: Promise<unknown>): Promise<ChannelError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

describe("WhatsApp sender: sending", () => {
  it("sends a text reply to the user's number with the bearer token", async () => {
    const sent = await sender().sendText(USER, "hello there");
    expect(sent.messageIds).toEqual(wamids());
    expect(graph.calls).toHaveLength(1);
    const [call] = graph.calls;
    expect(call?.path).toBe(`/v26.0/${PHONE_ID}/messages`);
    expect(call?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call?.body).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: USER,
      type: "text",
      text: { body: "hello there", preview_url: false },
    });
  });

  it("honours the configured Graph version and quotes the message it replies to", async () => {
    await sender({ version: "v23.0" }).sendText(USER, "quoted", { replyToMessageId: "wamid.IN1" });
    expect(graph.calls[0]?.path).toBe(`/v23.0/${PHONE_ID}/messages`);
    expect(graph.calls[0]?.body.context).toEqual({ message_id: "wamid.IN1" });
  });

  it("splits a 10,000-character reply into 3 messages, in order, quoting only the first", async () => {
    const words = Array.from({ length: 2_000 }, (_, i) => `w${String(i).padStart(3, "0")}`);
    const text = words.join(" ").slice(0, 10_000);
    expect(text).toHaveLength(10_000);
    const sent = await sender().sendText(USER, text, { replyToMessageId: "wamid.IN2" });
    expect(sent.messageIds).toEqual(wamids());
    const bodies = graph.calls.map((c) => (c.body.text as { body: string }).body);
    expect(bodies).toHaveLength(3);
    for (const body of bodies) expect(body.length).toBeLessThanOrEqual(4096);
    expect(bodies.join(" ")).toBe(text);
    expect(graph.calls.map((c) => c.body.context)).toEqual([
      { message_id: "wamid.IN2" },
      undefined,
      undefined,
    ]);
  });

  it("sends buttons as an interactive reply-buttons message", async () => {
    const sent = await sender().sendText(USER, "Deploy to prod?", {
      buttons: [
        { id: "approve:run_1", title: "Approve" },
        { id: "reject:run_1", title: "Reject" },
      ],
    });
    expect(sent.messageIds).toEqual(wamids());
    expect(graph.calls[0]?.body).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: USER,
      type: "interactive",
      interactive: {
        type: "button",
        body: { text: "Deploy to prod?" },
        action: {
          buttons: [
            { type: "reply", reply: { id: "approve:run_1", title: "Approve" } },
            { type: "reply", reply: { id: "reject:run_1", title: "Reject" } },
          ],
        },
      },
    });
  });

  it("sends a text over 1024 characters first, then the buttons under a short prompt", async () => {
    const text = "x".repeat(1_500);
    const sent = await sender({ buttonPrompt: "Your call:" }).sendText(USER, text, {
      buttons: [{ id: "ok", title: "OK" }],
    });
    expect(sent.messageIds).toEqual(wamids());
    expect(graph.calls.map((c) => c.body.type)).toEqual(["text", "interactive"]);
    expect(graph.calls[0]?.body.text).toEqual({ body: text, preview_url: false });
    expect(graph.calls[1]?.body.interactive).toMatchObject({ body: { text: "Your call:" } });
  });

  it.each([
    [
      "more than 3 buttons",
      [1, 2, 3, 4].map((i) => ({ id: `b${i}`, title: `B${i}` })),
      /at most 3 reply buttons/,
    ],
    [
      "a title over 20 characters",
      [{ id: "a", title: "A title far too long for it" }],
      /title .* 1–20 characters/,
    ],
    ["an empty title", [{ id: "a", title: " " }], /title .* 1–20 characters/],
    ["an id over 256 characters", [{ id: "i".repeat(257), title: "A" }], /id must be 1–256 characters/],
    [
      "duplicate ids",
      [
        { id: "a", title: "A" },
        { id: "a", title: "B" },
      ],
      /ids must be unique/,
    ],
  ])("refuses %s before calling Graph", async (_name, buttons, message) => {
    const error = await failure(sender().sendText(USER, "pick", { buttons }));
    expect(error.message).toMatch(message);
    expect(error.retriable).toBe(false);
    expect(graph.calls).toHaveLength(0);
  });

  it("refuses an empty text", async () => {
    const error = await failure(sender().sendText(USER, "  "));
    expect(error.message).toMatch(/empty text/);
    expect(graph.calls).toHaveLength(0);
  });

  it("marks an inbound message read", async () => {
    await sender().markRead("wamid.IN3");
    expect(graph.calls[0]?.body).toEqual({
      messaging_product: "whatsapp",
      status: "read",
      message_id: "wamid.IN3",
    });
  });

  it("marks an inbound message read with a typing indicator", async () => {
    await sender().markReadTyping("wamid.IN4");
    expect(graph.calls[0]?.body).toEqual({
      messaging_product: "whatsapp",
      status: "read",
      message_id: "wamid.IN4",
      typing_indicator: { type: "text" },
    });
  });

  it("has no editText and no chat-level typing, which WhatsApp cannot do", () => {
    const wa = sender();
    expect(wa.editText).toBeUndefined();
    expect(wa.typing).toBeUndefined();
  });
});

describe("WhatsApp sender: Graph errors", () => {
  it("maps 190 to a non-retriable error that names the token to refresh", async () => {
    graph.failNext(1, { code: 190, message: "Error validating access token: Session has expired" });
    const error = await failure(
      sender({ accessTokenEnv: "WHATSAPP_DEMO_ACCESS_TOKEN" }).sendText(USER, "hi"),
    );
    expect(error.retriable).toBe(false);
    expect(error.status).toBe(401);
    expect(error.code).toBe("190");
    expect(error.message).toMatch(/Graph error 190/);
    expect(error.message).toMatch(/refresh WHATSAPP_DEMO_ACCESS_TOKEN/);
    expect(error.message).toMatch(/fbtrace_id AFakeTraceId/);
  });

  it("maps 131047 to a non-retriable error that asks for a template", async () => {
    graph.failNext(1, { code: 131047, message: "Re-engagement message" });
    const error = await failure(sender().sendText(USER, "hi"));
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/24 hours/);
    expect(error.message).toMatch(/template/);
  });

  it("maps 131026 to an undeliverable error", async () => {
    graph.failNext(1, { code: 131026 });
    const error = await failure(sender().sendText(USER, "hi"));
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/undeliverable/);
  });

  it("maps 100 to a non-retriable invalid-parameter error", async () => {
    graph.failNext(1, { code: 100, message: "(#100) Invalid parameter" });
    const error = await failure(sender().sendText(USER, "hi"));
    expect(error.retriable).toBe(false);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/invalid parameter: check the phone number id/);
  });

  it("maps 130429 to a retriable rate limit that waits 1 s by default", async () => {
    graph.failNext(1, { code: 130429, message: "Rate limit hit" });
    const error = await failure(sender().sendText(USER, "hi"));
    expect(error.retriable).toBe(true);
    expect(error.retryAfterMs).toBe(1_000);
    expect(error.message).toMatch(/throughput limit/);
  });

  it.each([131056, 80007])("maps %i (sent with HTTP 400) to a retriable rate limit", async (code) => {
    graph.failNext(1, { code, status: 400 });
    const error = await failure(sender().sendText(USER, "hi"));
    expect(error.retriable).toBe(true);
    expect(error.retryAfterMs).toBe(1_000);
  });

  it("takes the wait from Retry-After", async () => {
    graph.failNext(1, { code: 4, status: 429, headers: { "retry-after": "7" } });
    const error = await failure(sender().sendText(USER, "hi"));
    expect(error.retriable).toBe(true);
    expect(error.retryAfterMs).toBe(7_000);
  });

  it("takes the wait from Meta's X-Business-Use-Case-Usage header", async () => {
    const usage = { "123": [{ type: "whatsapp", call_count: 100, estimated_time_to_regain_access: 2 }] };
    graph.failNext(1, { code: 80007, headers: { "x-business-use-case-usage": JSON.stringify(usage) } });
    const error = await failure(sender().sendText(USER, "hi"));
    expect(error.retryAfterMs).toBe(120_000);
  });

  it("maps a 500 to a retriable error", async () => {
    graph.failNext(1, { code: 1, status: 500, message: "An unknown error occurred" });
    const error = await failure(sender().markRead("wamid.IN5"));
    expect(error.retriable).toBe(true);
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/^WhatsApp markRead failed/);
  });

  it("says how many parts were already sent when a later part of a long reply fails", async () => {
    let n = 0;
    // Queue the failure just before the second request, so part 1 goes through.
    const failSecond: typeof fetch = (input, init) => {
      if (++n === 2) graph.failNext(1, { code: 2, status: 503 });
      return fetch(input, init);
    };
    const error = await failure(sender({ fetch: failSecond }).sendText(USER, "y ".repeat(5_000)));
    expect(error.retriable).toBe(true);
    expect(error.message).toMatch(/\(after 1 of 3 parts were sent\)$/);
    expect(graph.calls).toHaveLength(2);
  });

  it("retries nothing itself and reports a network failure as retriable", async () => {
    const error = await failure(sender({ baseUrl: "http://127.0.0.1:1" }).sendText(USER, "hi"));
    expect(error.retriable).toBe(true);
    expect(error.message).toMatch(/could not reach/);
  });

  it("never puts the access token in an error message, even when Graph echoes it", async () => {
    graph.failNext(1, { code: 190, message: `Malformed access token ${TOKEN}` });
    const echoed = await failure(sender().sendText(USER, "hi"));
    const unreachable = await failure(
      sender({ fetch: () => Promise.reject(new Error(`socket hang up for Bearer ${TOKEN}`)) }).sendText(
        USER,
        "hi",
      ),
    );
    for (const error of [echoed, unreachable]) {
      expect(error.message).not.toContain(TOKEN);
      expect(error.message).toContain("[redacted]");
      expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(TOKEN);
    }
  });
});

describe("fake Graph control routes (for workerd tests)", () => {
  it("fails over POST /__fail, lists over GET /__calls and empties over POST /__reset", async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${graph.url}${path}`, { method: "POST", body: JSON.stringify(body) });
    await post("/__fail", { count: 1, code: 131047 });
    const error = await failure(sender().sendText(USER, "late"));
    expect(error.code).toBe("131047");
    const listed = (await (await fetch(`${graph.url}/__calls`)).json()) as { calls: { body: unknown }[] };
    expect(listed.calls.map((c) => c.body)).toMatchObject([{ to: USER, text: { body: "late" } }]);
    await post("/__reset", {});
    expect(graph.calls).toHaveLength(0);
  });
});
