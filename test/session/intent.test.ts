import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import type { HooklineConfig } from "../../src/config/schema.ts";
import type { InboundEvent } from "../../src/core/inbound-event.ts";
import { chatIntent } from "../../src/session/intent.ts";

const loaded = loadConfig([
  {
    file: "hookline.yaml",
    data: {
      version: 1,
      sources: {
        bot: { channel: "telegram", secretEnv: "S" },
        wa: { channel: "whatsapp", appSecretEnv: "A", verifyTokenEnv: "V", workflow: "w" },
      },
      workflows: { w: { steps: [{ id: "r", kind: "reply", text: "hi" }] } },
      triggers: [{ id: "ask", match: { command: "/ask" }, workflow: "w", onBusy: "steer" }],
    },
  },
]);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
const config: HooklineConfig = loaded.config;

const tg = (text: string, extra: Partial<InboundEvent> = {}): InboundEvent => ({
  kind: "message",
  channel: "telegram",
  source: "bot",
  deliveryKey: "bot:1",
  sessionKey: "tg:bot:chat:1",
  sender: { id: "1" },
  text,
  payload: { update_id: 1, message: { chat: { id: 1 } } },
  receivedAt: new Date().toISOString(),
  ...extra,
});

describe("chat intents and trigger decisions", () => {
  const bot = config.sources.bot;
  const wa = config.sources.wa;
  if (bot?.channel !== "telegram" || wa?.channel !== "whatsapp") throw new Error("config");

  it("starts the rule's workflow with its onBusy policy and records reaction.match", () => {
    const { intent, decision } = chatIntent(config, "bot", bot, tg("/ask what?"));
    expect(intent).toMatchObject({
      type: "run",
      ruleId: "ask",
      workflowId: "w",
      onBusy: "steer",
      exclusive: true,
    });
    expect(decision).toMatchObject({ event: "reaction.match", data: { rule: "ask", channel: "telegram" } });
  });

  it("acks an unmatched message as skipped with the reason and candidate count, never as an error", () => {
    const { intent, decision } = chatIntent(config, "bot", bot, tg("just chatting"));
    expect(intent).toEqual({ type: "skip", reason: "filtered" });
    expect(decision).toMatchObject({ event: "reaction.skip", data: { reason: "filtered", candidates: 1 } });
  });

  it("reads /stop, /status and /start as commands before any rule", () => {
    expect(chatIntent(config, "bot", bot, tg("/stop")).intent).toEqual({ type: "command", command: "stop" });
    expect(chatIntent(config, "bot", bot, tg("/status")).intent).toEqual({
      type: "command",
      command: "status",
    });
    expect(chatIntent(config, "bot", bot, tg("/start")).intent).toEqual({ type: "command", command: "help" });
  });

  it("reads WhatsApp's words as commands and falls back to the source's workflow", () => {
    const event = { ...tg("STOP "), channel: "whatsapp" as const, source: "wa" };
    expect(chatIntent(config, "wa", wa, event).intent).toEqual({ type: "command", command: "stop" });
    const hello = chatIntent(config, "wa", wa, { ...event, text: "hello" });
    expect(hello.intent).toMatchObject({ type: "run", ruleId: "source:wa" });
  });

  it("takes an approval button press as a button, and skips edited messages unless configured", () => {
    const press = tg("Approve", {
      payload: { update_id: 2, callback_query: { id: "cb1", data: "hl:abcdef12:y" } },
    });
    expect(chatIntent(config, "bot", bot, press).intent).toEqual({
      type: "button",
      data: "hl:abcdef12:y",
      callbackId: "cb1",
    });
    const edited = tg("/ask again", { payload: { update_id: 3, edited_message: { chat: { id: 1 } } } });
    expect(chatIntent(config, "bot", bot, edited).intent).toEqual({ type: "skip", reason: "edited_message" });
  });
});
