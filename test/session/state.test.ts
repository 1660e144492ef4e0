import { describe, expect, it } from "vitest";
import {
  decide,
  initialSessionState,
  MessageInput,
  messageRefOf,
  nextWakeOf,
  SessionState,
} from "../../src/session/index.ts";
import { CHAT, Harness, msg, only, runIntent, said } from "./harness.ts";
import { telegramText, whatsAppText } from "./triggers/fixtures.ts";

describe("chat session: a stale active run", () => {
  it("clears an active run the host found finished, and starts the new message at once", () => {
    const s = new Harness();
    s.send(1);
    const actions = s.send(2, runIntent(), { active: s.facts({ status: "completed" }) });
    expect(only(actions, "startRun").map((a) => a.runId)).toEqual(["run_2"]);
    expect(s.state.active?.runId).toBe("run_2");
  });

  it("clears an active run the host could not find (active: null)", () => {
    const s = new Harness();
    s.send(1);
    expect(said(s.command(2, "status", { active: null }))).toEqual(["Idle."]);
    expect(s.state.active).toBeNull();
  });

  it("treats facts about some other run as no facts", () => {
    const s = new Harness();
    s.send(1);
    const other = { runId: "run_other", status: "running", currentStep: "x", startedAt: s.now };
    expect(only(s.send(2, runIntent(), { active: other }), "startRun")[0]?.runId).toBe("run_2");
  });

  it("keeps a run the host found still running (or waiting for a person)", () => {
    const s = new Harness();
    s.send(1);
    expect(s.send(2, runIntent(), { active: s.facts({ status: "waiting" }) })).toEqual([]);
    expect(s.state.queue).toHaveLength(1);
  });
});

describe("chat session: WhatsApp read receipts", () => {
  const wa = (n: number) => msg(n, { channel: "whatsapp", target: "555/49151", messageId: `wamid.${n}` });

  it("marks every WhatsApp message read first, with typing when it asks for a run", () => {
    const s = new Harness();
    const actions = s.send(1, runIntent(), { message: wa(1) });
    expect(actions.map((a) => a.type)).toEqual(["markRead", "startRun"]);
    expect(actions[0]).toEqual({ type: "markRead", target: "555/49151", messageId: "wamid.1", typing: true });
    expect(s.command(2, "status", { message: wa(2) })[0]).toMatchObject({ type: "markRead", typing: false });
    expect(s.send(3, { type: "skip", reason: "edited" }, { message: wa(3) })).toHaveLength(1);
  });

  it("marks nothing on Telegram, or without a message id", () => {
    const s = new Harness();
    expect(only(s.send(1), "markRead")).toEqual([]);
    expect(only(s.send(2, runIntent(), { message: msg(2, { channel: "whatsapp" }) }), "markRead")).toEqual(
      [],
    );
  });
});

describe("chat session: state and inputs", () => {
  it("builds a message reference from Telegram and WhatsApp events", () => {
    expect(messageRefOf(telegramText("hi", { chat: 55, from: 9 }))).toEqual({
      deliveryKey: "demo-bot:1",
      channel: "telegram",
      source: "demo-bot",
      text: "hi",
      senderId: "9",
      senderName: "Ada",
      receivedAt: "2025-01-01T00:00:00.000Z",
      target: "55",
      messageId: null,
    });
    const event = whatsAppText("yo", { from: "4915" });
    const withPhone = { ...event, payload: { ...event.payload, metadata: { phone_number_id: "111" } } };
    expect(messageRefOf(withPhone)).toMatchObject({
      target: "111/4915",
      messageId: "wamid.1",
      senderName: null,
    });
  });

  it("round-trips a busy state through JSON unchanged", () => {
    const s = new Harness();
    s.send(1, runIntent({ input: { nested: [1, "two", null, { ok: true }] } }));
    s.send(2, runIntent({ input: { q: "next" } }));
    s.send(3, runIntent({ onBusy: "collect" }));
    s.feed({
      type: "approvalRequested",
      now: s.now,
      runId: "run_1",
      waitId: "w",
      stepId: "s",
      prompt: "ok?",
      allowed: [],
      token: "abcdef12",
      target: "100",
    });
    const json = JSON.parse(JSON.stringify(s.state));
    expect(SessionState.parse(json)).toEqual(s.state);
    expect(
      s.state.active && s.state.queue.length && s.state.collect && s.state.approvals.length,
    ).toBeTruthy();
    expect(nextWakeOf(s.state)).toBe(s.state.collect?.until);
    expect(nextWakeOf(initialSessionState())).toBeUndefined();
  });

  it("does not change the state it is given", () => {
    const state = initialSessionState();
    const before = structuredClone(state);
    const input = {
      type: "message" as const,
      now: 1,
      deliveryKey: "bot:1",
      intent: runIntent(),
      message: msg(1),
      chat: CHAT,
      runId: "run_1",
      active: null,
    };
    expect(decide(state, input).state.active?.runId).toBe("run_1");
    expect(state).toEqual(before);
  });

  it("requires the run id a run intent starts, and the batch id a collect message may open", () => {
    const base = { type: "message", now: 1, deliveryKey: "bot:1", message: msg(1), chat: CHAT, active: null };
    expect(MessageInput.safeParse({ ...base, intent: runIntent() }).success).toBe(false);
    expect(MessageInput.safeParse({ ...base, intent: runIntent(), runId: "r" }).success).toBe(true);
    const collect = runIntent({ onBusy: "collect" });
    expect(MessageInput.safeParse({ ...base, intent: collect, runId: "r" }).success).toBe(false);
    expect(MessageInput.safeParse({ ...base, intent: collect, runId: "r", collectRunId: "b" }).success).toBe(
      true,
    );
    expect(MessageInput.safeParse({ ...base, intent: { type: "command", command: "help" } }).success).toBe(
      true,
    );
  });
});
