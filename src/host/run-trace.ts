import type { AttemptRow, RunRow } from "../db/durable/run-schema.ts";
import { previewJson } from "../engine/json.ts";
import { FINISHED, type RunState } from "../engine/state.ts";

/** Epoch ms as ISO 8601, null kept: the API's time format. */
export const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

/** A run started from this one (`POST /runs/:id/restart` or `/retry`). */
export interface Relaunch {
  runId: string;
  kind: "restart" | "retry";
  at: number;
}

/** GET /runs/:id: the run with every step attempt, in the order they were enqueued. */
export function buildTrace(row: RunRow, state: RunState, rows: AttemptRow[], relaunched: Relaunch[] = []) {
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
    /** The run this one restarts or retries, if any; and the runs started from this one. */
    restartOf: row.linkKind === "restart" ? row.linkedFrom : null,
    retryOf: row.linkKind === "retry" ? row.linkedFrom : null,
    relaunches: relaunched.map((r) => ({ runId: r.runId, kind: r.kind, at: iso(r.at) })),
    ignoredResults: row.ignoredResults,
    steps: stepsOf(row, state, rows),
  };
}

/**
 * Every step, in workflow order: I/O attempts (by enqueue time within a step) and the pure steps the run's
 * state holds outputs for. A nested step sorts with the top-level step that contains it.
 */
function stepsOf(row: RunRow, state: RunState, rows: AttemptRow[]) {
  const outputs = outputsOf(state);
  const order = topLevelIndex(state.workflow.steps);
  const rank = (stepId: string) => order.get(stepId) ?? Number.MAX_SAFE_INTEGER;
  const io = [...rows]
    .sort((a, b) => rank(a.stepId) - rank(b.stepId) || a.enqueuedAt - b.enqueuedAt || a.attempt - b.attempt)
    .map((a) => attemptStep(a, row, state, outputs));
  const seen = new Set(rows.map((r) => r.stepId));
  const reused = new Set(state.reused ?? []);
  const pure = state.workflow.steps
    .filter((step) => !seen.has(step.id) && outputs.has(step.id))
    .map((step) => pureStep(step.id, step.kind, outputs.get(step.id), reused.has(step.id)));
  return [...io, ...pure].sort((a, b) => rank(a.stepId) - rank(b.stepId));
}

/** Each step id (nested ones too) → the index of the top-level step it belongs to. */
function topLevelIndex(steps: readonly unknown[]): Map<string, number> {
  const index = new Map<string, number>();
  const walk = (node: unknown, i: number) => {
    if (Array.isArray(node)) for (const child of node) walk(child, i);
    else if (node && typeof node === "object") {
      const { id, kind } = node as { id?: unknown; kind?: unknown };
      if (typeof id === "string" && typeof kind === "string" && !index.has(id)) index.set(id, i);
      for (const child of Object.values(node)) walk(child, i);
    }
  };
  steps.forEach((step, i) => {
    walk(step, i);
  });
  return index;
}

/** Outputs the run's threads still hold, by step id (a finished run keeps its root thread's). */
function outputsOf(state: RunState): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const thread of Object.values(state.threads)) {
    for (const [stepId, record] of Object.entries(thread.outputs)) out.set(stepId, record.output);
  }
  return out;
}

/**
 * A step that ran inside a transition (transform, branch, reply, wait, delay, loop, parallel): it has no
 * attempt row or timing of its own, but the run's state holds its output.
 */
function pureStep(stepId: string, kind: string, output: unknown, reused: boolean): TraceStep {
  return {
    stepId,
    attemptId: `${stepId}#1`,
    attempt: 1,
    kind,
    mode: reused ? "reused" : "pure",
    status: "succeeded",
    enqueuedAt: null,
    startedAt: null,
    finishedAt: null,
    latencyMs: null,
    provider: null,
    model: null,
    inputTokens: null,
    outputTokens: null,
    tokensPerSec: null,
    costUsd: null,
    error: null,
    deliveries: 0,
    abortLatencyMs: null,
    output: previewJson(output as never),
  };
}

function attemptStep(a: AttemptRow, row: RunRow, state: RunState, outputs: Map<string, unknown>): TraceStep {
  const output = a.status === "succeeded" ? outputs.get(a.stepId) : undefined;
  return {
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
    ...(output !== undefined && { output: previewJson(output as never) }),
  };
}

export type RunTrace = ReturnType<typeof buildTrace>;

export interface TraceStep {
  stepId: string;
  attemptId: string;
  attempt: number;
  kind: string;
  /**
   * inline: run by the RunObject itself; queue: by a STEPS worker; pure: inside a transition; reused: a
   * retry took its output from the run it retries.
   */
  mode: "inline" | "queue" | "pure" | "reused";
  status: string;
  enqueuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  latencyMs: number | null;
  provider: string | null;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  tokensPerSec: number | null;
  costUsd: number | null;
  error: string | null;
  deliveries: number;
  abortLatencyMs: number | null;
  output?: unknown;
}
