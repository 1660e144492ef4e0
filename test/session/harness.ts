import { expect } from "vitest";
import {
  type ActiveFacts,
  type ChatSettings,
  Decision,
  decide,
  initialSessionState,
  type MessageInput,
  type MessageRef,
  RunIntent,
  type SessionAction,
  SessionInput,
  SessionState,
} from "../../src/session/index.ts";

export const T0 = Date.parse("2026-03-01T12:00:00.000Z");
export const CHAT: ChatSettings = { helpText: "Send me a message. /stop stops.", stopClearsQueue: true };

/** A chat message from sender `from` in chat "100" (Telegram unless `channel` says otherwise). */
export function msg(n: number, over: Partial<MessageRef> = {}): MessageRef {
  return {
    deliveryKey: `bot:${n}`,
    channel: "telegram",
    source: "bot",
    text: `message ${n}`,
    senderId: "7",
    senderName: null,
    receivedAt: new Date(T0 + n).toISOString(),
    target: "100",
    messageId: null,
    ...over,
  };
}

/** An exclusive chat run intent with the config defaults filled in. */
export function runIntent(over: Partial<RunIntent> = {}): RunIntent {
  return RunIntent.parse({ type: "run", ruleId: "r", workflowId: "chat", exclusive: true, ...over });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Feeds inputs to `decide` the way a host would. Every step also checks the contract: the input and the
 * decision satisfy their schemas, the old state is not mutated (it is frozen), and the new state survives
 * a JSON round trip unchanged.
 */
export class Harness {
  state: SessionState = initialSessionState();
  now = T0;
  chat: ChatSettings = CHAT;

  feed(input: SessionInput): SessionAction[] {
    const out = decide(deepFreeze(structuredClone(this.state)), SessionInput.parse(input));
    Decision.parse(out);
    const copy = SessionState.parse(JSON.parse(JSON.stringify(out.state)));
    expect(copy).toEqual(out.state);
    this.state = copy;
    return out.actions;
  }

  /** What the host would find about the active run: running, started at `since`, in `step`. */
  facts(over: Partial<ActiveFacts> = {}): ActiveFacts | null {
    const a = this.state.active;
    return a ? { runId: a.runId, status: "running", currentStep: null, startedAt: a.since, ...over } : null;
  }

  /** Delivery `n` with `intent`; run ids are `run_<n>`, a collect window's `batch_<n>`. */
  send(n: number, intent: MessageInput["intent"] = runIntent(), over: Partial<MessageInput> = {}) {
    const message = over.message ?? msg(n);
    return this.feed({
      type: "message",
      now: this.now,
      deliveryKey: message.deliveryKey,
      intent,
      message,
      chat: this.chat,
      runId: intent.type === "run" ? `run_${n}` : undefined,
      collectRunId: `batch_${n}`,
      active: this.facts(),
      ...over,
    });
  }

  command(n: number, command: "stop" | "status" | "help", over: Partial<MessageInput> = {}) {
    return this.send(n, { type: "command", command }, over);
  }

  started(runId: string, status = "running") {
    return this.feed({ type: "runStarted", now: this.now, runId, status });
  }

  finished(runId: string) {
    return this.feed({ type: "runFinished", now: this.now, runId });
  }
}

/** Only the actions of one type, e.g. `only(actions, "reply")`. */
export function only<T extends SessionAction["type"]>(actions: SessionAction[], type: T) {
  return actions.filter((a): a is Extract<SessionAction, { type: T }> => a.type === type);
}

/** The texts a batch of actions shows the person (replies and button answers). */
export function said(actions: SessionAction[]): string[] {
  return actions.flatMap((a) => (a.type === "reply" || a.type === "answerButton" ? [a.text] : []));
}
