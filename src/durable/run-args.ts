import { z } from "zod";
import type { RunRow, runs } from "../db/durable/run-schema.ts";
import { PriceTableSchema } from "../engine/governor.ts";
import type { StepReport } from "../queue/messages.ts";
import type { ChatOrigin, RunIdentity } from "./run-store.ts";

/** RunObject RPC arguments (zod-checked at the object's boundary) and small helpers. */
export const StartArgs = z.object({
  runId: z.string().min(1),
  workflowId: z.string().min(1),
  workflow: z.unknown(),
  input: z.json().default(null),
  event: z.json().default(null),
  prices: PriceTableSchema.default({}),
  origin: z
    .object({
      source: z.string(),
      deliveryKey: z.string(),
      sessionKey: z.string().optional(),
      channel: z.string().optional(),
      chatId: z.string().nullable().optional(),
      senderId: z.string().nullable().optional(),
    })
    .nullable()
    .default(null),
});
export type StartArgs = z.input<typeof StartArgs>;

export const CancelArgs = z.object({ source: z.string().min(1).max(200), requestedAt: z.number() });

export type WatchResult = "cancelled" | "abandoned" | "done";

/**
 * The outstanding `watchCancel` calls of step workers, by attempt: the push path for cancel. They live in
 * memory only; a worker whose call is lost (the object restarted) falls back to polling.
 */
export class CancelWatchers {
  private readonly byAttempt = new Map<string, Set<(r: WatchResult) => void>>();

  wait(attemptId: string): Promise<WatchResult> {
    return new Promise<WatchResult>((resolve) => {
      const set = this.byAttempt.get(attemptId) ?? new Set();
      set.add(resolve);
      this.byAttempt.set(attemptId, set);
    });
  }

  resolve(attemptId: string, result: WatchResult): void {
    const set = this.byAttempt.get(attemptId);
    if (!set) return;
    this.byAttempt.delete(attemptId);
    for (const done of set) done(result);
  }

  resolveAll(result: WatchResult): void {
    for (const attemptId of [...this.byAttempt.keys()]) this.resolve(attemptId, result);
  }
}

/** The `model.call` event's data for one successful attempt. */
export function modelCallData(
  kind: string,
  r: Extract<z.infer<typeof StepReport>, { ok: true }>,
  latencyMs: number,
) {
  const out = r.usage?.outputTokens ?? 0;
  return {
    kind,
    provider: r.provider ?? null,
    model: r.model ?? null,
    latency_ms: latencyMs,
    input_tokens: r.usage?.inputTokens ?? 0,
    output_tokens: out,
    tokens_per_sec: latencyMs > 0 ? (out * 1000) / latencyMs : null,
  };
}

/** Where a stored run answers, if it came from a chat. */
export function chatOriginOf(
  row: Pick<RunRow, "sessionKey" | "chatId" | "senderId">,
): ChatOrigin | undefined {
  return row.sessionKey && row.chatId
    ? { sessionKey: row.sessionKey, target: row.chatId, senderId: row.senderId }
    : undefined;
}

type NewRunRow = typeof runs.$inferInsert &
  Pick<RunRow, "id" | "workflowId" | "source" | "deliveryKey" | "sessionKey" | "chatId" | "senderId">;

/** The run's row as `start` inserts it (its state is written by the first transition). */
export function newRunRow(a: z.infer<typeof StartArgs>, status: string, now: number): NewRunRow {
  return {
    id: a.runId,
    workflowId: a.workflowId,
    source: a.origin?.source ?? null,
    deliveryKey: a.origin?.deliveryKey ?? null,
    channel: a.origin?.channel ?? null,
    chatId: a.origin?.chatId ?? null,
    sessionKey: a.origin?.sessionKey ?? null,
    senderId: a.origin?.senderId ?? null,
    status,
    state: "{}",
    createdAt: now,
    updatedAt: now,
  };
}

/** Identity copied onto every event envelope. */
export function identityOf(row: Pick<RunRow, "id" | "workflowId" | "source" | "deliveryKey">): RunIdentity {
  return { runId: row.id, workflowId: row.workflowId, source: row.source, deliveryKey: row.deliveryKey };
}
