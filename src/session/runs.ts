import { FINISHED, type RunStatus } from "../engine/state.ts";
import { type Decision, replyTo, type SessionAction } from "./actions.ts";
import type { InputOf } from "./inputs.ts";
import type { ChatSettings } from "./message-ref.ts";
import type { QueuedItem, SessionState } from "./state.ts";
import { texts } from "./texts.ts";

/** Whether a run status (as a RunObject reports it) means the run is over. */
export function isFinished(status: string): boolean {
  return FINISHED.includes(status as RunStatus);
}

/**
 * Asks the host to start an item's run.
 *
 * @example startRunAction(item, true) // { type: "startRun", runId: item.runId, exclusive: true, … }
 */
export function startRunAction(item: QueuedItem, exclusive: boolean): SessionAction {
  const { runId, intent, message } = item;
  return { type: "startRun", runId, workflowId: intent.workflowId, input: intent.input, message, exclusive };
}

/**
 * Makes the item the chat's active run and starts it. "typing…" waits for `runStarted`, so a run that is
 * over as soon as it starts leaves no indicator behind its answer.
 *
 * @example startExclusive(state, item, now).actions // [{ type: "startRun", … exclusive: true }]
 */
export function startExclusive(state: SessionState, item: QueuedItem, now: number): Decision {
  const { runId, message } = item;
  return {
    state: {
      ...state,
      active: { runId, since: now, deliveryKey: message.deliveryKey, target: message.target },
    },
    actions: [startRunAction(item, true)],
  };
}

/**
 * Starts the oldest queued item (FIFO), if any. Only called when nothing is active.
 *
 * @example startNextQueued({ ...state, active: null }, now)
 */
export function startNextQueued(state: SessionState, now: number): Decision {
  const [next, ...rest] = state.queue;
  if (!next) return { state, actions: [] };
  return startExclusive({ ...state, queue: rest }, next, now);
}

/**
 * onBusy "queue": start now when idle, else wait in line; a full line refuses with a reply.
 *
 * @example enqueue(busyState, item, now).state.queue.at(-1) === item
 */
export function enqueue(state: SessionState, item: QueuedItem, now: number): Decision {
  if (!state.active) return startExclusive(state, item, now);
  const waiting = state.queue.length;
  if (waiting >= item.intent.maxDepth)
    return { state, actions: replyTo(item.message.target, texts.busy(waiting)) };
  return { state: { ...state, queue: [...state.queue, item] }, actions: [] };
}

/**
 * An exclusive run message (not collect): start when idle, else apply its onBusy policy to the active run.
 *
 * @example onExclusiveMessage(state, item, chat, now) // interrupt: [cancelRun, startRun]
 */
export function onExclusiveMessage(
  state: SessionState,
  item: QueuedItem,
  chat: ChatSettings,
  now: number,
): Decision {
  const { active } = state;
  if (!active) return startExclusive(state, item, now);
  const { message, intent } = item;
  switch (intent.onBusy) {
    case "interrupt": {
      const cancel: SessionAction = {
        type: "cancelRun",
        runId: active.runId,
        source: `${message.channel}:interrupt`,
        requestedAt: now,
        then: "interrupt",
        message,
        chat,
      };
      const started = startExclusive({ ...state, active: null }, item, now);
      return { state: started.state, actions: [cancel, ...started.actions] };
    }
    case "steer":
      // The run takes the text into its next model call; if it is already over it refuses (steerRefused).
      return { state, actions: [{ type: "steer", runId: active.runId, text: message.text ?? "", item }] };
    default:
      return enqueue(state, item, now);
  }
}

/**
 * The result of a startRun: a run that is already over frees the chat for the next queued message.
 *
 * @example onRunStarted(state, { type: "runStarted", now, runId, status: "running" }) // [typing]
 */
export function onRunStarted(state: SessionState, input: InputOf<"runStarted">): Decision {
  const { active } = state;
  if (active?.runId !== input.runId) return { state, actions: [] }; // non-exclusive, or no longer ours
  if (isFinished(input.status)) return startNextQueued({ ...state, active: null }, input.now);
  return { state, actions: active.target === null ? [] : [{ type: "typing", target: active.target }] };
}

/**
 * A run finished: if it was the active one, the next queued message starts.
 *
 * @example onRunFinished(state, { type: "runFinished", now, runId: state.active.runId })
 */
export function onRunFinished(state: SessionState, input: InputOf<"runFinished">): Decision {
  if (state.active?.runId !== input.runId) return { state, actions: [] };
  return startNextQueued({ ...state, active: null }, input.now);
}

/**
 * The steered run was already over: the message starts its own run instead.
 *
 * @example onSteerRefused(state, { type: "steerRefused", now, item }) // [startRun]
 */
export function onSteerRefused(state: SessionState, input: InputOf<"steerRefused">): Decision {
  return startExclusive(state, input.item, input.now);
}
