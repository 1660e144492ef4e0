import { describe, expect, it } from "vitest";
import { matchTrigger } from "../../../src/session/triggers/match.ts";
import { genericEvent, rules, telegramText, whatsAppText } from "./fixtures.ts";

const ruleOf = (result: ReturnType<typeof matchTrigger>) => (result.matched ? result.rule.id : null);

describe("matching commands and text", () => {
  it("matches a Telegram command bare, addressed to the bot, and with text", () => {
    const rs = rules({ id: "ask", match: { command: "/ask" } });
    for (const text of ["/ask", "/ask@MyBot", "/ask what is CEL?"]) {
      expect(ruleOf(matchTrigger(rs, telegramText(text), { botUsername: "MyBot" }))).toBe("ask");
    }
    expect(matchTrigger(rs, telegramText("/ask@OtherBot"), { botUsername: "MyBot" }).matched).toBe(false);
    expect(matchTrigger(rs, telegramText("/asking")).matched).toBe(false);
  });

  it("matches a WhatsApp message whose first word is the command", () => {
    const rs = rules({ id: "ask", match: { command: "/ask" } });
    expect(ruleOf(matchTrigger(rs, whatsAppText("Ask what is CEL?")))).toBe("ask");
    expect(matchTrigger(rs, whatsAppText("please ask")).matched).toBe(false);
  });

  it("searches the text with an RE2 pattern, inline flags included", () => {
    const rs = rules({ id: "refunds", match: { text: "(?i)refund" } });
    expect(ruleOf(matchTrigger(rs, telegramText("I want a REFUND now")))).toBe("refunds");
    expect(matchTrigger(rs, telegramText("hello")).decision.data).toMatchObject({ reason: "filtered" });
    expect(matchTrigger(rs, genericEvent({ text: "refund" })).matched).toBe(false);
  });

  it("filters by channel and by a source name or list", () => {
    const rs = rules(
      { id: "wa", match: { channel: "whatsapp" } },
      { id: "bots", match: { source: ["other-bot", "demo-bot"] } },
    );
    expect(ruleOf(matchTrigger(rs, whatsAppText("hi")))).toBe("wa");
    expect(ruleOf(matchTrigger(rs, telegramText("hi")))).toBe("bots");
    expect(matchTrigger(rs, genericEvent({})).decision.data).toMatchObject({
      reason: "no_rule",
      candidates: 0,
    });
  });
});

describe("allow and deny lists", () => {
  it("admits only allowed chats, with numeric ids from YAML compared as strings", () => {
    const rs = rules({ id: "team", match: { chats: { allow: [-100123, "555"] } } });
    expect(ruleOf(matchTrigger(rs, telegramText("hi", { chat: -100123 })))).toBe("team");
    expect(ruleOf(matchTrigger(rs, telegramText("hi", { chat: 555 })))).toBe("team");
    expect(matchTrigger(rs, telegramText("hi", { chat: 9 })).decision.data).toMatchObject({
      reason: "denied",
    });
  });

  it("refuses a denied sender even when the allow list is empty", () => {
    const rs = rules({ id: "all", match: { senders: { deny: ["42"] } } });
    expect(matchTrigger(rs, telegramText("hi", { from: 42 })).decision.data).toMatchObject({
      reason: "denied",
      sender: "42",
    });
    expect(ruleOf(matchTrigger(rs, telegramText("hi", { from: 7 })))).toBe("all");
  });

  it("lets deny win over allow, and refuses an allow-listed chat to an event without one", () => {
    const rs = rules({ id: "r", match: { senders: { allow: ["42"], deny: ["42"] } } });
    expect(matchTrigger(rs, telegramText("hi", { from: 42 })).matched).toBe(false);
    const chats = rules({ id: "r", match: { chats: { allow: ["1"] } } });
    expect(matchTrigger(chats, genericEvent({})).decision.data).toMatchObject({ reason: "denied" });
  });
});

describe("when expressions", () => {
  it("matches when the expression is true and skips when it is false", () => {
    const rs = rules({ id: "long", match: { when: "event.text.size() > 3" } });
    expect(ruleOf(matchTrigger(rs, telegramText("hello")))).toBe("long");
    expect(matchTrigger(rs, telegramText("hi")).decision.data).toMatchObject({ reason: "expression_false" });
  });

  it("treats an evaluation error or a non-boolean result as no match, without throwing", () => {
    const missing = rules({ id: "r", match: { when: "event.text.size() > 3" } });
    expect(matchTrigger(missing, genericEvent({})).decision.data).toMatchObject({
      reason: "expression_error",
      candidates: 1,
    });
    const notBool = rules({ id: "r", match: { when: "event.text" } });
    expect(matchTrigger(notBool, telegramText("hi")).decision.data).toMatchObject({
      reason: "expression_error",
    });
    const syntax = rules({ id: "r", match: { when: "event.text.size( >" } });
    expect(matchTrigger(syntax, telegramText("hi")).matched).toBe(false);
  });

  it("falls through to the next rule when a higher one errors", () => {
    const rs = rules(
      { id: "broken", priority: 5, match: { when: "event.payload.nope.deeper" } },
      { id: "fallback" },
    );
    expect(ruleOf(matchTrigger(rs, telegramText("hi")))).toBe("fallback");
  });

  it("sees the chat and the parsed command beside the event", () => {
    const rs = rules({
      id: "r",
      match: { when: "event.chat == '-5' && event.command.name == 'ask' && event.command.args == 'x y'" },
    });
    expect(ruleOf(matchTrigger(rs, telegramText("/ask x y", { chat: -5 })))).toBe("r");
  });
});

describe("priority", () => {
  it("tries higher priority first and keeps file order between equal priorities", () => {
    const rs = rules(
      { id: "low", priority: 1 },
      { id: "tie-a", priority: 10 },
      { id: "tie-b", priority: 10 },
      { id: "default" },
    );
    expect(ruleOf(matchTrigger(rs, telegramText("hi")))).toBe("tie-a");
    expect(ruleOf(matchTrigger(rs.slice(2), telegramText("hi")))).toBe("tie-b");
    expect(
      ruleOf(matchTrigger(rules({ id: "default" }, { id: "low", priority: 1 }), telegramText("hi"))),
    ).toBe("low");
  });

  it("lets a specific high-priority rule shadow a catch-all", () => {
    const rs = rules({ id: "catch-all" }, { id: "ask", priority: 10, match: { command: "ask" } });
    expect(ruleOf(matchTrigger(rs, telegramText("/ask hi")))).toBe("ask");
    expect(ruleOf(matchTrigger(rs, telegramText("hi")))).toBe("catch-all");
  });
});
