import type { AttemptRow, RunRow } from "../db/durable/run-schema.ts";
import { FINISHED, type RunState } from "../engine/state.ts";

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

/** GET /runs/:id: the run with every step attempt, in the order they were enqueued. */
export function buildTrace(row: RunRow, state: RunState, rows: AttemptRow[]) {
  const cancel =
    row.cancelRequestedAt != null
      ? {
          source: row.cancelSource,
          requestedAt: iso(row.cancelRequestedAt),
          acknowledgedAt: iso(row.cancelAcknowledgedAt),
          latencyMs:
            row.cancelAcknowledgedAt != null ? row.cancelAcknowledgedAt - row.cancelRequestedAt : null,
        }
      : null;
  return {
    runId: row.id,
    workflowId: row.workflowId,
    workflowVersion: state.workflow.version ?? null,
    status: state.status,
    source: row.source,
    deliveryKey: row.deliveryKey,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    finishedAt: iso(state.finishedAt),
    output: state.output,
    error: state.error,
    usage: state.usage,
    cancel,
    ignoredResults: row.ignoredResults,
    steps: [...rows]
      .sort((a, b) => a.enqueuedAt - b.enqueuedAt || a.attempt - b.attempt)
      .map((a) => ({
        stepId: a.stepId,
        attemptId: a.attemptId,
        attempt: a.attempt,
        kind: a.kind,
        /** inline: run by the RunObject itself; queue: by a STEPS worker. */
        mode: a.mode,
        // An attempt still in flight when its run ended, whose worker never reported back.
        status:
          FINISHED.includes(state.status) && (a.status === "queued" || a.status === "running")
            ? "abandoned"
            : a.status,
        enqueuedAt: iso(a.enqueuedAt),
        startedAt: iso(a.startedAt),
        finishedAt: iso(a.finishedAt),
        latencyMs: a.latencyMs,
        provider: a.provider,
        model: a.model,
        inputTokens: a.inputTokens,
        outputTokens: a.outputTokens,
        tokensPerSec: a.tokensPerSec,
        costUsd: a.costUsd,
        error: a.error,
        deliveries: a.deliveries,
        abortLatencyMs:
          a.status === "cancelled" && a.finishedAt != null && row.cancelAcknowledgedAt != null
            ? Math.max(0, a.finishedAt - row.cancelAcknowledgedAt)
            : null,
      })),
  };
}

export type RunTrace = ReturnType<typeof buildTrace>;
