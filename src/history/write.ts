import { type SQL, sql } from "drizzle-orm";
import { FINISHED } from "../engine/state.ts";
import type { HistoryRows } from "./fold.ts";

/** The engine's terminal statuses as an SQL list (fixed identifiers, not user input). */
const TERMINAL_SQL = sql.raw(`(${FINISHED.map((s) => `'${s}'`).join(",")})`);

/**
 * One statement, so one round trip per EVENTS batch: each table's rows arrive as one JSON parameter and are
 * upserted in a data-modifying CTE. Keys are producer-chosen ids, so a redelivered batch changes nothing:
 * - events: insert, ignore a known id;
 * - runs: a status replaces an older one and never a terminal one; other fields fill in, times widen;
 * - step attempts: a finished status is never set back to `running`; fields fill in;
 * - deliveries: the row with the higher seen count wins; times widen.
 * Returns the statement; the caller runs it with its driver's `execute`.
 */
export function historyUpsert(rows: HistoryRows): SQL {
  const j = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;
  return sql`
with
ev as (
  insert into events (id, v, type, run_id, workflow_id, source, delivery_key, at, data)
  select x.id, x.v, x."type", x.run_id, x.workflow_id, x.source, x.delivery_key, x.at, x.data
  from jsonb_to_recordset(${j(rows.events)}) as x(id text, v int, "type" text, run_id text, workflow_id text,
    source text, delivery_key text, at bigint, data jsonb)
  on conflict (id) do nothing
  returning 1
),
ru as (
  insert into runs (run_id, workflow_id, workflow_version, status, status_at, source, delivery_key, input_summary,
    output, error, input_tokens, output_tokens, cost_usd, steps_run, started_at, updated_at, finished_at)
  select x.run_id, x.workflow_id, x.workflow_version, x.status, x.status_at, x.source, x.delivery_key,
    x.input_summary, x.output, x.error, x.input_tokens, x.output_tokens, x.cost_usd, x.steps_run, x.started_at,
    x.updated_at, x.finished_at
  from jsonb_to_recordset(${j(rows.runs)}) as x(run_id text, workflow_id text, workflow_version text, status text,
    status_at bigint, source text, delivery_key text, input_summary text, output jsonb, error text,
    input_tokens int, output_tokens int, cost_usd double precision, steps_run int, started_at bigint,
    updated_at bigint, finished_at bigint)
  on conflict (run_id) do update set
    status = case
      when runs.status in ${TERMINAL_SQL} and runs.status_at >= 0 then runs.status
      when excluded.status_at >= runs.status_at then excluded.status
      else runs.status end,
    status_at = case
      when runs.status in ${TERMINAL_SQL} and runs.status_at >= 0 then runs.status_at
      else greatest(runs.status_at, excluded.status_at) end,
    workflow_version = coalesce(runs.workflow_version, excluded.workflow_version),
    source = coalesce(runs.source, excluded.source),
    delivery_key = coalesce(runs.delivery_key, excluded.delivery_key),
    input_summary = coalesce(runs.input_summary, excluded.input_summary),
    output = coalesce(runs.output, excluded.output),
    error = coalesce(runs.error, excluded.error),
    input_tokens = coalesce(runs.input_tokens, excluded.input_tokens),
    output_tokens = coalesce(runs.output_tokens, excluded.output_tokens),
    cost_usd = coalesce(runs.cost_usd, excluded.cost_usd),
    steps_run = coalesce(runs.steps_run, excluded.steps_run),
    started_at = least(runs.started_at, excluded.started_at),
    updated_at = greatest(runs.updated_at, excluded.updated_at),
    finished_at = coalesce(runs.finished_at, excluded.finished_at)
  returning 1
),
st as (
  insert into step_attempts (run_id, attempt_id, step_id, attempt, kind, status, started_at, finished_at,
    latency_ms, provider, model, input_tokens, output_tokens, cost_usd, output, error)
  select x.run_id, x.attempt_id, x.step_id, x.attempt, x.kind, x.status, x.started_at, x.finished_at,
    x.latency_ms, x.provider, x.model, x.input_tokens, x.output_tokens, x.cost_usd, x.output, x.error
  from jsonb_to_recordset(${j(rows.attempts)}) as x(run_id text, attempt_id text, step_id text, attempt int,
    kind text, status text, started_at bigint, finished_at bigint, latency_ms int, provider text, model text,
    input_tokens int, output_tokens int, cost_usd double precision, output jsonb, error text)
  on conflict (run_id, attempt_id) do update set
    status = case when excluded.status = 'running' then step_attempts.status else excluded.status end,
    started_at = coalesce(step_attempts.started_at, excluded.started_at),
    finished_at = coalesce(excluded.finished_at, step_attempts.finished_at),
    latency_ms = coalesce(excluded.latency_ms, step_attempts.latency_ms),
    provider = coalesce(step_attempts.provider, excluded.provider),
    model = coalesce(step_attempts.model, excluded.model),
    input_tokens = coalesce(step_attempts.input_tokens, excluded.input_tokens),
    output_tokens = coalesce(step_attempts.output_tokens, excluded.output_tokens),
    cost_usd = coalesce(excluded.cost_usd, step_attempts.cost_usd),
    output = coalesce(excluded.output, step_attempts.output),
    error = coalesce(excluded.error, step_attempts.error)
  returning 1
),
de as (
  insert into deliveries (key, source, channel, kind, outcome, session_key, received_at, last_seen_at,
    expires_at, seen_count, decision)
  select x.key, x.source, x.channel, x.kind, x.outcome, x.session_key, x.received_at, x.last_seen_at,
    x.expires_at, x.seen_count, x.decision
  from jsonb_to_recordset(${j(rows.deliveries)}) as x(key text, source text, channel text, kind text,
    outcome text, session_key text, received_at bigint, last_seen_at bigint, expires_at bigint, seen_count int,
    decision jsonb)
  on conflict (key) do update set
    outcome = case when excluded.seen_count >= deliveries.seen_count then excluded.outcome
      else deliveries.outcome end,
    decision = coalesce(excluded.decision, deliveries.decision),
    seen_count = greatest(deliveries.seen_count, excluded.seen_count),
    last_seen_at = greatest(deliveries.last_seen_at, excluded.last_seen_at),
    received_at = least(deliveries.received_at, excluded.received_at),
    expires_at = greatest(deliveries.expires_at, excluded.expires_at)
  returning 1
)
select (select count(*) from ev)::int as events, (select count(*) from ru)::int as runs,
  (select count(*) from st)::int as attempts, (select count(*) from de)::int as deliveries`;
}
