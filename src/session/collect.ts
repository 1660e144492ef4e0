import type { Decision } from "./actions.ts";
import type { InputOf } from "./inputs.ts";
import type { RunIntent } from "./intent-schema.ts";
import { enqueue } from "./runs.ts";
import type { QueuedItem, SessionState } from "./state.ts";

/**
 * onBusy "collect": the message joins the open window (or opens one). Every message pushes the close to
 * `now + collectMs`, but never past `hardUntil`, which the window's first message fixed at
 * `now + maxDelayMs`. The window collects whether or not a run is active; its batch queues on close.
 *
 * @example collectMessage(initialSessionState(), item, "run-batch", 1_000).actions // [{ type: "setTimer", at: 2_500 }]
 */
export function collectMessage(
  state: SessionState,
  item: QueuedItem,
  collectRunId: string,
  now: number,
): Decision {
  const open = state.collect;
  const hardUntil = open?.hardUntil ?? now + item.intent.maxDelayMs;
  const until = Math.min(now + item.intent.collectMs, hardUntil);
  const collect = {
    until,
    hardUntil,
    runId: open?.runId ?? collectRunId,
    items: [...(open?.items ?? []), item],
  };
  return { state: { ...state, collect }, actions: [{ type: "setTimer", at: until }] };
}

/**
 * The window's alarm: every collected message becomes one run's input, in arrival order, as
 * `{ messages: [{ text, sender, at }] }`. The batch then behaves like onBusy "queue".
 *
 * @example onCollectWindowClosed(state, { type: "collectWindowClosed", now: state.collect.until })
 */
export function onCollectWindowClosed(state: SessionState, input: InputOf<"collectWindowClosed">): Decision {
  const open = state.collect;
  if (!open || input.now < open.until) return { state, actions: [] }; // early or stale alarm
  const closed = { ...state, collect: null };
  const [first] = open.items;
  if (!first) return { state: closed, actions: [] };
  const messages = open.items.map(({ message: m }) => ({
    text: m.text ?? "",
    sender:
      m.senderId === null
        ? null
        : { id: m.senderId, ...(m.senderName === null ? {} : { name: m.senderName }) },
    at: m.receivedAt,
  }));
  const intent: RunIntent = { ...first.intent, onBusy: "queue", input: { messages } };
  return enqueue(closed, { runId: open.runId, intent, message: first.message }, input.now);
}
