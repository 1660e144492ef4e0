import { chatSenderFor } from "../channels/senders.ts";
import type { Source } from "../config/schema.ts";
import { InboundEvent } from "../core/inbound-event.ts";
import type { SessionAction, SessionInput } from "../session/index.ts";
import type { Resources } from "./resources.ts";

type Action<T extends SessionAction["type"]> = Extract<SessionAction, { type: T }>;

/** What carrying out an action needs: the host's resources, the session's source, and the ledger. */
export interface ActionContext {
  res: Resources;
  source: Source | undefined;
  sourceName: string | null;
  /** The recorded event of a delivery (from the ledger), for a run's input and origin. */
  eventOf(deliveryKey: string): InboundEvent | undefined;
}

/**
 * Carries out one action after its decision committed, and returns the input to feed back, if the
 * machine wants the result (startRun → runStarted, cancel for /stop → stopped, refused steer →
 * steerRefused, resume → resumed). Infrastructure failures throw, so the host retries the action.
 */
export async function carryOut(action: SessionAction, ctx: ActionContext): Promise<SessionInput | undefined> {
  const now = () => Date.now();
  switch (action.type) {
    case "startRun":
      return startRun(action, ctx);
    case "cancelRun": {
      const ack = await ctx.res.runs
        .getByName(action.runId)
        .fromSession({ type: "cancel", source: action.source, requestedAt: action.requestedAt });
      if (action.then !== "stop") return undefined;
      const latencyMs = "latencyMs" in ack ? ack.latencyMs : 0;
      return {
        type: "stopped",
        now: now(),
        runId: action.runId,
        latencyMs,
        message: action.message,
        chat: action.chat,
      };
    }
    case "steer": {
      const { accepted } = await ctx.res.runs
        .getByName(action.runId)
        .fromSession({ type: "steer", text: action.text });
      return accepted ? undefined : { type: "steerRefused", now: now(), item: action.item };
    }
    case "resume": {
      const result = await ctx.res.runs
        .getByName(action.runId)
        .fromSession({ type: "resume", input: { approved: action.approved }, stepId: action.stepId });
      return {
        type: "resumed",
        now: now(),
        token: action.token,
        approved: action.approved,
        resumed: result.found && result.resumed,
        callbackId: action.callbackId,
        message: action.message,
      };
    }
    case "reply": {
      const chat = sender(ctx, action.target);
      await chat?.sender.sendText(chat.chatId, action.text);
      return undefined;
    }
    case "sendButtons": {
      const chat = sender(ctx, action.target);
      await chat?.sender.sendText(chat.chatId, action.text, { buttons: action.buttons });
      return undefined;
    }
    case "answerButton":
      // A callback query is answered by id; the chat does not matter.
      await sender(ctx, "")?.sender.answerButton?.(action.callbackId, action.text);
      return undefined;
    case "typing": {
      const chat = sender(ctx, action.target);
      await chat?.sender.typing?.(chat.chatId);
      return undefined;
    }
    case "markRead":
      await sender(ctx, action.target)?.sender.markRead?.(action.messageId, { typing: action.typing });
      return undefined;
    case "setTimer":
      // The host arms its one alarm from the committed state (nextWakeOf); nothing to do here.
      return undefined;
  }
}

/** Best-effort actions: a failure is logged, never retried forever, and never blocks the chat's work. */
export const BEST_EFFORT: ReadonlySet<SessionAction["type"]> = new Set([
  "typing",
  "markRead",
  "answerButton",
]);

function sender(ctx: ActionContext, target: string) {
  return ctx.source ? chatSenderFor(ctx.res.secrets, ctx.source, target) : undefined;
}

async function startRun(action: Action<"startRun">, ctx: ActionContext): Promise<SessionInput | undefined> {
  const { config } = ctx.res;
  const workflow = config.workflows[action.workflowId];
  const now = Date.now();
  if (!workflow) {
    // The config changed under a recorded delivery; nothing can start it, so the session moves on.
    console.error(`cannot start ${action.runId}: workflow "${action.workflowId}" is not in the config`);
    return { type: "runStarted", now, runId: action.runId, status: "failed" };
  }
  const event = ctx.eventOf(action.message.deliveryKey);
  const m = action.message;
  const result = await ctx.res.runs.getByName(action.runId).fromSession({
    type: "start",
    runId: action.runId,
    workflowId: action.workflowId,
    workflow,
    input: (action.input ?? event?.payload ?? null) as never,
    event: (event ?? null) as never,
    prices: config.models,
    origin: {
      source: m.source,
      deliveryKey: m.deliveryKey,
      sessionKey: event?.sessionKey,
      channel: m.channel,
      chatId: m.target,
      senderId: m.senderId,
    },
  });
  return { type: "runStarted", now: Date.now(), runId: action.runId, status: result.status };
}

/** Parses a ledger row's event, tolerating rows written by an older version (they simply have no event). */
export function parseEvent(json: string | undefined): InboundEvent | undefined {
  if (json === undefined) return undefined;
  const parsed = InboundEvent.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : undefined;
}
