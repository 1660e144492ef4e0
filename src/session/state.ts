import { z } from "zod";
import { RunIntent } from "./intent-schema.ts";
import { MessageRef } from "./message-ref.ts";

/**
 * The chat's one active exclusive run. `target` is where the "typing…" goes once the run reports that it
 * is running (a run that finishes while starting must not leave a typing indicator behind its answer).
 */
export const ActiveRun = z.object({
  runId: z.string(),
  since: z.number(),
  deliveryKey: z.string(),
  target: z.string().nullable(),
});
export type ActiveRun = z.infer<typeof ActiveRun>;

/** A message waiting for its run: the run id was fixed when its delivery was recorded. */
export const QueuedItem = z.object({ runId: z.string(), intent: RunIntent, message: MessageRef });
export type QueuedItem = z.infer<typeof QueuedItem>;

/**
 * An open collect window. `until` moves with every message; `hardUntil` is fixed by the first one, so a
 * steady trickle cannot hold the batch back forever. `runId` is the id the batch's run will get.
 */
export const CollectWindow = z.object({
  until: z.number(),
  hardUntil: z.number(),
  runId: z.string(),
  items: z.array(QueuedItem),
});
export type CollectWindow = z.infer<typeof CollectWindow>;

/** An approval prompt we sent; `allowed` empty means anyone in the chat may answer. */
export const Approval = z.object({
  token: z.string(),
  runId: z.string(),
  waitId: z.string(),
  stepId: z.string(),
  allowed: z.array(z.string()),
  target: z.string().nullable(),
  createdAt: z.number(),
  answeredAt: z.number().nullable(),
});
export type Approval = z.infer<typeof Approval>;

/** Everything one chat session remembers, as plain JSON (the host stores it as one value). */
export const SessionState = z.object({
  /** At most one active exclusive run per chat. */
  active: ActiveRun.nullable(),
  /** FIFO behind the active run (onBusy: queue). */
  queue: z.array(QueuedItem),
  collect: CollectWindow.nullable(),
  approvals: z.array(Approval),
});
export type SessionState = z.infer<typeof SessionState>;

/**
 * A session that has seen nothing yet.
 *
 * @example decide(initialSessionState(), input)
 */
export function initialSessionState(): SessionState {
  return { active: null, queue: [], collect: null, approvals: [] };
}

/**
 * When the host must wake the session next (the collect window's close), or undefined.
 *
 * @example nextWakeOf(state) // 1_700_000_001_500
 */
export function nextWakeOf(state: SessionState): number | undefined {
  return state.collect?.until;
}
