import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createTelegramSender,
  TELEGRAM_MAX_CHARS,
  type TelegramSenderOptions,
} from "../../../src/channels/telegram.ts";
import { ChannelError } from "../../../src/channels/types.ts";
import { type FakeTelegram, startFakeTelegram } from "../../servers/fake-telegram.ts";

const TOKEN = "7012345678:AAHsecretBotTokenDoNotLeak_0123456789";
const CHAT = "555001";

let telegram: FakeTelegram;
beforeAll(async () => {
  telegram = await startFakeTelegram();
});
afterAll(() => telegram.close());
beforeEach(() => telegram.reset());

const sender = (extra: Partial<TelegramSenderOptions> = {}) =>
  createTelegramSender({ token: TOKEN, apiRoot: telegram.url, ...extra });

/** The ChannelError a failing call throws (fails the test when it resolves). */
async function failure(call: Promise<unknown>): Promise<ChannelError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

/** ~10,000 characters of prose in paragraphs of a few sentences each. */
function longReply(): string {
  const paragraphs: string[] = [];
  for (let p = 1; paragraphs.join("\n\n").length < 10_000; p++) {
    const sentences = Array.from(
      { length: 6 },
      (_, s) => `Paragraph ${p}, sentence ${s + 1} says something useful.`,
    );
    paragraphs.push(sentences.join(" "));
  }
  return paragraphs
    .join("\n\n")
    .slice(0, 10_000)
    .replace(/\s+\S*$/, ".");
}

describe("Telegram sender: sending", () => {
  it("sends plain text to the chat with the bot's token and returns the message id", async () => {
    const sent = await sender().sendText(CHAT, "Hello *not bold* _nor italic_ <b>x</b>");
    expect(telegram.calls).toHaveLength(1);
    const [call] = telegram.calls;
    expect(call?.method).toBe("sendMessage");
    expect(call?.token).toBe(TOKEN);
    expect(call?.body).toMatchObject({ chat_id: CHAT, text: "Hello *not bold* _nor italic_ <b>x</b>" });
    // No parse_mode: model output is shown verbatim and can never fail to parse.
    expect(call?.body).not.toHaveProperty("parse_mode");
    expect(sent.messageIds).toEqual([...telegram.messages.keys()].map((key) => key.split(":")[1]));
  });

  it("splits a 10,000-character reply into 3 messages on paragraph boundaries, in order", async () => {
    const text = longReply();
    expect(text.length).toBeGreaterThan(9_900);
    const sent = await sender().sendText(CHAT, text);
    const texts = telegram.calls.map((c) => c.body.text as string);
    expect(texts).toHaveLength(3);
    expect(sent.messageIds).toHaveLength(3);
    for (const part of texts) {
      expect(part.length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
      expect(part.startsWith("Paragraph ")).toBe(true);
      expect(part.endsWith(".")).toBe(true);
    }
    expect(texts.join("\n\n")).toBe(text);
  });

  it("turns buttons into an inline keyboard whose callback_data is the button id", async () => {
    await sender().sendText(CHAT, "Approve the refund?", {
      buttons: [
        { id: "appr:run_1:yes", title: "Approve" },
        { id: "appr:run_1:no", title: "Reject" },
      ],
    });
    expect(telegram.calls[0]?.body.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: "Approve", callback_data: "appr:run_1:yes" },
          { text: "Reject", callback_data: "appr:run_1:no" },
        ],
      ],
    });
  });

  it("puts buttons under the last part and the reply quote on the first part of a long reply", async () => {
    await sender().sendText(CHAT, longReply(), {
      buttons: [{ id: "more", title: "More" }],
      replyToMessageId: "77",
    });
    const bodies = telegram.calls.map((c) => c.body);
    expect(bodies[0]?.reply_parameters).toEqual({ message_id: 77, allow_sending_without_reply: true });
    expect(bodies.slice(1).every((b) => b.reply_parameters === undefined)).toBe(true);
    expect(bodies.slice(0, -1).every((b) => b.reply_markup === undefined)).toBe(true);
    expect(bodies.at(-1)?.reply_markup).toEqual({
      inline_keyboard: [[{ text: "More", callback_data: "more" }]],
    });
  });

  it("refuses a button id over 64 bytes before calling Telegram", async () => {
    const error = await failure(
      sender().sendText(CHAT, "Pick", { buttons: [{ id: "é".repeat(33), title: "Too long" }] }),
    );
    expect(error).toMatchObject({ retriable: false, code: "invalid_button" });
    expect(telegram.calls).toHaveLength(0);
  });

  it("edits a message, treating Telegram's 'message is not modified' as success", async () => {
    const s = sender();
    const [id = ""] = (await s.sendText(CHAT, "draft")).messageIds;
    await s.editText(CHAT, id, "final");
    await s.editText(CHAT, id, "final");
    expect(telegram.calls.map((c) => [c.method, c.status])).toEqual([
      ["sendMessage", 200],
      ["editMessageText", 200],
      ["editMessageText", 400],
    ]);
    expect(telegram.messages.get(`${CHAT}:${id}`)).toBe("final");
  });

  it("shows typing and answers a button press", async () => {
    const s = sender();
    await s.typing(CHAT);
    await s.answerButton("cbq-1", "Approved");
    expect(telegram.calls.map((c) => [c.method, c.body])).toEqual([
      ["sendChatAction", { chat_id: CHAT, action: "typing" }],
      ["answerCallbackQuery", { callback_query_id: "cbq-1", text: "Approved" }],
    ]);
  });
});

describe("Telegram sender: errors", () => {
  it("honours retry_after 1 on a 429: the call is retried once, at least 1 s later", async () => {
    telegram.failNext("sendMessage", 1, { kind: "rate_limit", retryAfter: 1 });
    const sent = await sender().sendText(CHAT, "after the flood");
    expect(sent.messageIds).toHaveLength(1);
    const [first, second] = telegram.calls;
    expect([first?.status, second?.status]).toEqual([429, 200]);
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("throws a retriable error with retryAfterMs when Telegram asks for more than 5 s", async () => {
    telegram.failNext("sendMessage", 1, { kind: "rate_limit", retryAfter: 30 });
    const error = await failure(sender().sendText(CHAT, "x"));
    expect(error).toMatchObject({ retriable: true, retryAfterMs: 30_000, status: 429, code: "rate_limited" });
    expect(telegram.calls).toHaveLength(1);
  });

  it("gives up after one retry when the 429 repeats", async () => {
    telegram.failNext("sendChatAction", 2, { kind: "rate_limit", retryAfter: 0 });
    const error = await failure(sender().typing(CHAT));
    expect(error).toMatchObject({ retriable: true, status: 429 });
    expect(telegram.calls).toHaveLength(2);
  });

  it("maps a blocked bot and an unknown chat to permanent errors with Telegram's description", async () => {
    telegram.rejectChat("404404");
    telegram.rejectChat("403403", { code: 403, description: "Forbidden: bot was blocked by the user" });
    const notFound = await failure(sender().sendText("404404", "hi"));
    expect(notFound).toMatchObject({ retriable: false, status: 400, code: "bad_request" });
    expect(notFound.message).toContain("Bad Request: chat not found");
    const blocked = await failure(sender().sendText("403403", "hi"));
    expect(blocked).toMatchObject({ retriable: false, status: 403, code: "forbidden" });
    expect(blocked.message).toContain("bot was blocked by the user");
  });

  it("treats 5xx, dropped connections and proxy error pages by status", async () => {
    telegram.failNext("sendMessage", 1, { kind: "error", code: 502, description: "Bad Gateway" });
    expect(await failure(sender().sendText(CHAT, "a"))).toMatchObject({ retriable: true, status: 502 });
    telegram.failNext("sendMessage", 1, { kind: "drop" });
    expect(await failure(sender().sendText(CHAT, "b"))).toMatchObject({ retriable: true, code: "network" });
    telegram.failNext("sendMessage", 1, { kind: "html", status: 404 });
    expect(await failure(sender().sendText(CHAT, "c"))).toMatchObject({ retriable: false, status: 404 });
    telegram.failNext("sendMessage", 1, { kind: "html", status: 503 });
    expect(await failure(sender().sendText(CHAT, "d"))).toMatchObject({ retriable: true, status: 503 });
  });

  it("never puts the bot token in an error message", async () => {
    telegram.rejectChat("1", { code: 400, description: `Bad Request: token ${TOKEN} echoed back` });
    telegram.failNext("sendMessage", 1, { kind: "drop" });
    telegram.failNext("editMessageText", 1, { kind: "html", status: 502 });
    const leakyFetch: typeof fetch = async (input) => {
      throw new TypeError(`connect ECONNREFUSED while fetching ${String(input)}`);
    };
    const errors = [
      await failure(sender().sendText(CHAT, "x")),
      await failure(sender().editText(CHAT, "1", "y")),
      await failure(sender().sendText("1", "z")),
      await failure(sender({ fetch: leakyFetch }).sendText(CHAT, "w")),
      await failure(sender({ apiRoot: "http://127.0.0.1:9" }).typing(CHAT)),
    ];
    for (const error of errors) {
      expect(error.message).not.toContain(TOKEN);
      expect(error.message).not.toContain(TOKEN.split(":")[1]);
      expect(JSON.stringify(error)).not.toContain(TOKEN);
    }
    expect(errors[3]?.message).toContain("/bot<redacted>/sendMessage");
  });

  it("says how many parts of a long reply were delivered when a later part fails", async () => {
    let calls = 0;
    // The user blocks the bot between the first and the second part.
    const blockAfterFirst: typeof fetch = (input, init) => {
      if (++calls === 2)
        telegram.rejectChat(CHAT, { code: 403, description: "Forbidden: bot was blocked by the user" });
      return fetch(input, init);
    };
    const error = await failure(sender({ fetch: blockAfterFirst }).sendText(CHAT, longReply()));
    expect(error).toMatchObject({ retriable: false, status: 403 });
    expect(error.message).toContain("(after 1 of 3 parts were sent)");
  });
});
