import { describe, expect, it } from "vitest";
import { ReactionMatchSchema, ReactionSkipSchema } from "../../../src/session/triggers/decision.ts";
import { matchTrigger } from "../../../src/session/triggers/match.ts";
import { genericEvent, rules, telegramText, whatsAppStatus, whatsAppText } from "./fixtures.ts";

describe("reaction.skip", () => {
  it("never matches a delivery receipt, even against a catch-all", () => {
    const result = matchTrigger(rules({ id: "all" }), whatsAppStatus());
    expect(result.matched).toBe(false);
    expect(result.decision).toEqual({
      event: "reaction.skip",
      data: {
        reason: "not_a_message",
        candidates: 1,
        channel: "whatsapp",
        source: "demo-wa",
        sender: "15550001",
      },
    });
    expect(ReactionSkipSchema.parse(result.decision)).toEqual(result.decision);
  });

  it("reports no_rule with zero candidates when nothing targets the channel or source", () => {
    const result = matchTrigger(rules({ id: "tg", match: { channel: "telegram" } }), whatsAppText("hi"));
    expect(result.decision.data).toMatchObject({ reason: "no_rule", candidates: 0 });
    expect(matchTrigger([], telegramText("hi")).decision.data).toMatchObject({ reason: "no_rule" });
  });

  it("counts only the rules whose channel and source fit", () => {
    const rs = rules(
      { id: "a", match: { command: "ask" } },
      { id: "b", match: { source: "demo-bot", command: "help" } },
      { id: "c", match: { source: "elsewhere" } },
      { id: "d", match: { channel: "whatsapp" } },
    );
    expect(matchTrigger(rs, telegramText("hello")).decision.data).toMatchObject({
      reason: "filtered",
      candidates: 2,
    });
  });

  it("reports the reason of the candidate that got furthest", () => {
    const rs = rules(
      { id: "cmd", match: { command: "ask" } },
      { id: "staff", match: { senders: { allow: ["1"] } } },
      { id: "expr", match: { senders: { allow: ["42"] }, when: "event.text == 'x'" } },
    );
    expect(matchTrigger(rs, telegramText("hi", { from: 42 })).decision.data).toMatchObject({
      reason: "expression_false",
      candidates: 3,
    });
    expect(matchTrigger(rs, telegramText("hi", { from: 9 })).decision.data).toMatchObject({
      reason: "denied",
    });
    const withError = [...rs, ...rules({ id: "err", match: { when: "event.nope" } })];
    expect(matchTrigger(withError, telegramText("hi", { from: 42 })).decision.data).toMatchObject({
      reason: "expression_error",
      candidates: 4,
    });
  });
});

describe("reaction.match", () => {
  it("records the rule, sender and a short filter summary", () => {
    const rs = rules({
      id: "ask",
      match: {
        command: "/ask",
        text: "(?i)refund",
        chats: { allow: ["123"] },
        senders: { deny: ["9"] },
        when: "true",
      },
    });
    const result = matchTrigger(rs, telegramText("/ask refund please"));
    expect(result.decision).toEqual({
      event: "reaction.match",
      data: {
        rule: "ask",
        channel: "telegram",
        source: "demo-bot",
        sender: "42",
        filters: "command=/ask text~(?i)refund chat=123 sender=42 when",
      },
    });
    expect(ReactionMatchSchema.parse(result.decision)).toEqual(result.decision);
  });

  it("summarizes a rule without filters as any, with a null sender for generic events", () => {
    const result = matchTrigger(rules({ id: "orders" }), genericEvent({ id: "evt_1" }));
    expect(result.decision.data).toEqual({
      rule: "orders",
      channel: "generic",
      source: "orders",
      sender: null,
      filters: "any",
    });
  });
});

describe("input mapping", () => {
  it("renders templates against the event, keeping the type of whole-value placeholders", () => {
    const rs = rules({
      id: "ask",
      match: { command: "ask" },
      input: {
        question: "{{ event.command.args }}",
        raw: "{{ event.text }}",
        from: "user {{ event.sender.id }} in {{ event.chat }}",
        chatId: "{{ event.payload.message.chat.id }}",
        fixed: [1, true, null],
      },
    });
    const result = matchTrigger(rs, telegramText("/ask what is CEL?"));
    expect(result.matched && result.input).toEqual({
      question: "what is CEL?",
      raw: "/ask what is CEL?",
      from: "user 42 in 123",
      chatId: 123,
      fixed: [1, true, null],
    });
  });

  it("passes the event payload when the rule has no input mapping", () => {
    const payload = { id: "evt_1", data: { amount: 5 } };
    const result = matchTrigger(rules({ id: "orders" }), genericEvent(payload));
    expect(result.matched && result.input).toEqual(payload);
  });

  it("skips a rule whose input template fails and tries the next one", () => {
    const rs = rules({ id: "bad", priority: 1, input: { x: "{{ event.nope.deeper }}" } }, { id: "good" });
    expect(matchTrigger(rs, telegramText("hi")).matched && "good").toBe("good");
    expect(matchTrigger(rs.slice(0, 1), telegramText("hi")).decision.data).toMatchObject({
      reason: "expression_error",
    });
  });
});
