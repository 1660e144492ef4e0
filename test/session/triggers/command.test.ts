import { describe, expect, it } from "vitest";
import { chatIdOf } from "../../../src/session/triggers/chat.ts";
import { commandOf, commandOfEvent, wordCommandOf } from "../../../src/session/triggers/command.ts";
import { genericEvent, telegramText, whatsAppText } from "./fixtures.ts";

describe("commandOf", () => {
  it("parses a bare command, one addressed to a bot, and one with arguments", () => {
    expect(commandOf("/ask")).toEqual({ name: "ask", bot: null, args: "" });
    expect(commandOf("/ask@MyBot")).toEqual({ name: "ask", bot: "MyBot", args: "" });
    expect(commandOf("/ask  what is CEL? ")).toEqual({ name: "ask", bot: null, args: "what is CEL?" });
    expect(commandOf("/Ask@MyBot\nline two")).toEqual({ name: "ask", bot: "MyBot", args: "line two" });
  });

  it("ignores a command addressed to another bot when the bot's username is known", () => {
    expect(commandOf("/ask@OtherBot hi", { botUsername: "MyBot" })).toBeNull();
    expect(commandOf("/ask@mybot hi", { botUsername: "@MyBot" })?.name).toBe("ask");
    expect(commandOf("/ask@OtherBot hi")?.bot).toBe("OtherBot");
  });

  it("finds no command in plain text, mid-sentence slashes or glued punctuation", () => {
    expect(commandOf("ask me")).toBeNull();
    expect(commandOf("please /ask")).toBeNull();
    expect(commandOf("/ask,now")).toBeNull();
    expect(commandOf("/")).toBeNull();
    expect(commandOf(undefined)).toBeNull();
  });
});

describe("wordCommandOf", () => {
  it("reads WhatsApp's leading word as the command, case-insensitively, tolerating a slash", () => {
    expect(wordCommandOf("Stop please")).toEqual({ name: "stop", bot: null, args: "please" });
    expect(wordCommandOf("  status")).toEqual({ name: "status", bot: null, args: "" });
    expect(wordCommandOf("/ask hi")?.name).toBe("ask");
    expect(wordCommandOf("¿stop?")).toBeNull();
  });

  it("uses the channel's convention for an event", () => {
    expect(commandOfEvent(whatsAppText("ask what"))?.name).toBe("ask");
    expect(commandOfEvent(telegramText("ask what"))).toBeNull();
    expect(commandOfEvent(telegramText("/ask@B what"), { botUsername: "A" })).toBeNull();
  });
});

describe("chatIdOf", () => {
  it("reads the Telegram chat, including negative group ids and callback queries", () => {
    expect(chatIdOf(telegramText("hi", { chat: -100123 }))).toBe("-100123");
    const callback = {
      ...telegramText("approve"),
      payload: {
        update_id: 2,
        callback_query: {
          id: "cb1",
          from: { id: 42 },
          data: "approve",
          message: { message_id: 9, date: 1, chat: { id: 555, type: "private" } },
        },
      },
    };
    expect(chatIdOf(callback)).toBe("555");
  });

  it("uses the sender for WhatsApp and has no chat for generic sources", () => {
    expect(chatIdOf(whatsAppText("hi", { from: "4917" }))).toBe("4917");
    expect(chatIdOf(genericEvent({ id: 1 }))).toBeNull();
  });
});
