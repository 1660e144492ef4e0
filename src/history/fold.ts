import type { EventEnvelope } from "../engine/messages.ts";
import { FINISHED } from "../engine/state.ts";

/**
 * Turns one EVENTS batch into the rows the history writer upserts: every event as sent, plus one folded row
 * per run, per step attempt and per delivery. Pure, so the merge rules can be tested without a database.
 * Within a batch each key appears once (Postgres refuses to update one row twice in one statement); across
 * batches the SQL upserts merge the same way, so order and redelivery do not matter.
 */

const isFinished = (status: string) => (FINISHED as readonly string[]).includes(status);

export interface EventRow {
  id: string;
  v: number;
  type: string;
  run_id: string | null;
  workflow_id: string | null;
  source: string | null;
  delivery_key: string | null;
  at: number;
  data: Record<string, unknown>;
}

export interface RunRow {
  run_id: string;
  workflow_id: string;
  workflow_version: string | null;
  /** `running` with `status_at` -1 when the batch held no status for this run (it never wins a merge). */
  status: string;
  status_at: number;
  source: string | null;
  delivery_key: string | null;
  input_summary: string | null;
  output: unknown;
  error: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
  steps_run: number | null;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface AttemptRow {
  run_id: string;
  attempt_id: string;
  step_id: string;
  attempt: number;
  kind: string;
  /** `running` until a `step.finish` says otherwise; a later `running` never overwrites a finished status. */
  status: string;
  started_at: number | null;
  finished_at: number | null;
  latency_ms: number | null;
  provider: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
  output: unknown;
  error: string | null;
}

export interface DeliveryRow {
  key: string;
  source: string;
  channel: string;
  kind: string;
  outcome: string;
  session_key: string;
  received_at: number;
  last_seen_at: number;
  expires_at: number;
  seen_count: number;
  decision: unknown;
}

export interface HistoryRows {
  events: EventRow[];
  runs: RunRow[];
  attempts: AttemptRow[];
  deliveries: DeliveryRow[];
}

/** The event a session flush sends instead of calling the DO index when history lives in Postgres. */
export const DELIVERY_EVENT = "delivery.seen";

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const int = (v: unknown): number | null => {
  const n = num(v);
  return n === null ? null : Math.round(n);
};

export function foldEvents(envelopes: readonly EventEnvelope[]): HistoryRows {
  const byId = new Map<string, EventEnvelope>();
  for (const e of envelopes) byId.set(e.id, e);
  const sorted = [...byId.values()].sort((a, b) => a.at - b.at);
  const runs = new Map<string, RunRow>();
  const attempts = new Map<string, AttemptRow>();
  const deliveries = new Map<string, DeliveryRow>();
  const events = new Map<string, EventRow>();
  for (const e of sorted) {
    if (e.type === DELIVERY_EVENT) {
      const row = foldDelivery(deliveries, e.data);
      const reaction = row && reactionEvent(row, e);
      if (reaction) events.set(reaction.id, reaction);
      continue;
    }
    events.set(e.id, {
      id: e.id,
      v: e.v,
      type: e.type,
      run_id: e.runId,
      workflow_id: e.workflowId,
      source: e.source,
      delivery_key: e.deliveryKey,
      at: e.at,
      data: e.data,
    });
    if (!e.runId || !e.workflowId) continue;
    const run = runRow(runs, e);
    if (e.type === "run.state") foldRunState(run, e);
    else if (e.type === "step.start" || e.type === "step.finish" || e.type === "model.call") {
      foldAttempt(attempts, e);
    }
  }
  return {
    events: [...events.values()],
    runs: [...runs.values()],
    attempts: [...attempts.values()],
    deliveries: [...deliveries.values()],
  };
}

function runRow(runs: Map<string, RunRow>, e: EventEnvelope): RunRow {
  const runId = e.runId as string;
  let row = runs.get(runId);
  if (!row) {
    row = {
      run_id: runId,
      workflow_id: e.workflowId as string,
      workflow_version: null,
      status: "running",
      status_at: -1,
      source: e.source,
      delivery_key: e.deliveryKey,
      input_summary: null,
      output: null,
      error: null,
      input_tokens: null,
      output_tokens: null,
      cost_usd: null,
      steps_run: null,
      started_at: e.at,
      updated_at: e.at,
      finished_at: null,
    };
    runs.set(runId, row);
  }
  row.started_at = Math.min(row.started_at, e.at);
  row.updated_at = Math.max(row.updated_at, e.at);
  return row;
}

function foldRunState(row: RunRow, e: EventEnvelope): void {
  const state = str(e.data.state);
  if (state === "started") {
    row.workflow_version = str(e.data.workflow_version) ?? row.workflow_version;
    row.input_summary = str(e.data.input_summary) ?? row.input_summary;
  }
  if (state === null || state === "cancel_requested") return;
  const status = state === "started" ? "running" : state;
  const terminal = isFinished(status);
  if (isFinished(row.status) && row.status_at >= 0) return;
  row.status = status;
  row.status_at = e.at;
  if (!terminal) return;
  row.finished_at = e.at;
  row.error = str(e.data.error);
  if ("output" in e.data) row.output = e.data.output ?? null;
  const usage = e.data.usage as Record<string, unknown> | undefined;
  if (usage) {
    row.input_tokens = int(usage.input_tokens);
    row.output_tokens = int(usage.output_tokens);
    row.cost_usd = num(usage.cost_usd);
    row.steps_run = int(usage.steps);
  }
}

function foldAttempt(attempts: Map<string, AttemptRow>, e: EventEnvelope): void {
  const d = e.data;
  const attemptId = str(d.attempt_id);
  const stepId = str(d.step_id);
  if (!attemptId || !stepId) return;
  const key = `${e.runId}\u0000${attemptId}`;
  let row = attempts.get(key);
  if (!row) {
    row = {
      run_id: e.runId as string,
      attempt_id: attemptId,
      step_id: stepId,
      attempt: int(d.attempt) ?? 1,
      kind: str(d.kind) ?? "unknown",
      status: "running",
      started_at: null,
      finished_at: null,
      latency_ms: null,
      provider: null,
      model: null,
      input_tokens: null,
      output_tokens: null,
      cost_usd: null,
      output: null,
      error: null,
    };
    attempts.set(key, row);
  }
  if (e.type === "step.start") {
    row.started_at = num(d.at) ?? e.at;
  } else if (e.type === "step.finish") {
    row.status = str(d.status) ?? "succeeded";
    row.finished_at = num(d.at) ?? e.at;
    row.latency_ms = int(d.latency_ms);
    row.input_tokens = int(d.input_tokens) ?? row.input_tokens;
    row.output_tokens = int(d.output_tokens) ?? row.output_tokens;
    row.cost_usd = num(d.cost_usd) ?? row.cost_usd;
    row.error = str(d.error);
    if ("output" in d) row.output = d.output ?? null;
  } else {
    row.provider = str(d.provider);
    row.model = str(d.model);
    row.input_tokens ??= int(d.input_tokens);
    row.output_tokens ??= int(d.output_tokens);
  }
}

/**
 * A chat delivery's trigger decision (`reaction.match` / `reaction.skip`, with its reason) joins the event
 * stream once per delivery: its id is derived from the key, so every sighting of the delivery upserts it.
 */
function reactionEvent(row: DeliveryRow, e: EventEnvelope): EventRow | undefined {
  const decision = row.decision as { event?: unknown; data?: unknown } | null;
  const type = str(decision?.event);
  if (!type?.startsWith("reaction.")) return undefined;
  return {
    id: `reaction:${row.key}`,
    v: e.v,
    type,
    run_id: null,
    workflow_id: null,
    source: row.source,
    delivery_key: row.key,
    at: row.received_at,
    data: (decision?.data as Record<string, unknown> | undefined) ?? {},
  };
}

function foldDelivery(
  deliveries: Map<string, DeliveryRow>,
  d: Record<string, unknown>,
): DeliveryRow | undefined {
  const key = str(d.key);
  if (!key) return undefined;
  const row: DeliveryRow = {
    key,
    source: str(d.source) ?? "",
    channel: str(d.channel) ?? "",
    kind: str(d.kind) ?? "",
    outcome: str(d.outcome) ?? "",
    session_key: str(d.sessionKey) ?? "",
    received_at: num(d.receivedAt) ?? 0,
    last_seen_at: num(d.lastSeenAt) ?? 0,
    expires_at: num(d.expiresAt) ?? 0,
    seen_count: int(d.seenCount) ?? 1,
    decision: typeof d.decision === "string" ? safeJson(d.decision) : (d.decision ?? null),
  };
  const old = deliveries.get(key);
  if (!old || row.seen_count >= old.seen_count) {
    deliveries.set(key, old ? { ...row, received_at: Math.min(old.received_at, row.received_at) } : row);
  }
  return row;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
