import type { z } from "zod";
import type { AttemptRow, RunRow, runs } from "../db/durable/run-schema.ts";
import type { EngineEvent } from "../engine/events.ts";
import type { StepOutcome } from "../engine/messages.ts";
import type { StartRun } from "./protocol.ts";
import type { ChatOrigin, RunIdentity } from "./run-store.ts";

/** The `model.call` event's data for one successful attempt. */
export function modelCallData(
  row: Pick<AttemptRow, "kind" | "stepId" | "attemptId" | "attempt">,
  r: Extract<StepOutcome, { ok: true }>,
  latencyMs: number,
) {
  const out = r.usage?.outputTokens ?? 0;
  return {
    kind: row.kind,
    step_id: row.stepId,
    attempt_id: row.attemptId,
    attempt: row.attempt,
    provider: r.provider ?? null,
    model: r.model ?? null,
    latency_ms: latencyMs,
    input_tokens: r.usage?.inputTokens ?? 0,
    output_tokens: out,
    tokens_per_sec: latencyMs > 0 ? (out * 1000) / latencyMs : null,
  };
}

/**
 * What an applied attempt result means: the engine event, the attempt row's new status, and the events to
 * record with the transition (`model.call` for a successful llm attempt).
 */
export function resultOf(row: AttemptRow, r: StepOutcome, now: number) {
  const common = { stepId: row.stepId, attempt: row.attempt, attemptId: row.attemptId, now };
  const event: EngineEvent = r.ok
    ? { type: "stepSucceeded", ...common, output: r.output, usage: r.usage }
    : { type: "stepFailed", ...common, error: r.error, ...(r.usage && { usage: r.usage }) };
  const status: AttemptRow["status"] = r.ok ? "succeeded" : r.aborted ? "cancelled" : "failed";
  const events =
    r.ok && row.kind === "llm"
      ? [{ type: "model.call", data: modelCallData(row, r, r.finishedAt - r.startedAt) }]
      : [];
  return { event, status, events };
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
export function newRunRow(a: z.infer<typeof StartRun>, status: string, now: number): NewRunRow {
  return {
    id: a.runId,
    workflowId: a.workflowId,
    source: a.origin?.source ?? null,
    deliveryKey: a.origin?.deliveryKey ?? null,
    channel: a.origin?.channel ?? null,
    chatId: a.origin?.chatId ?? null,
    sessionKey: a.origin?.sessionKey ?? null,
    senderId: a.origin?.senderId ?? null,
    linkKind: a.link?.kind ?? null,
    linkedFrom: a.link?.runId ?? null,
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
