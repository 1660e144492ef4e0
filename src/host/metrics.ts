import type { EventEnvelope } from "../engine/messages.ts";
import { FINISHED } from "../engine/state.ts";

/**
 * Prometheus metrics for GET /metrics: what each event adds, and the text exposition format. Pure; the
 * OpsObject (src/host/ops.ts) keeps the values and decides, by each update's `mark`, what was counted already.
 */

type Labels = Record<string, string>;

/** One increment of one series. Histograms expand into their `_bucket` (cumulative), `_sum` and `_count`. */
export interface MetricUpdate {
  name: string;
  labels: string;
  inc: number;
}

/** Everything one fact adds, under the key that makes it count once. */
export interface MarkedUpdates {
  mark: string;
  updates: MetricUpdate[];
}

interface Family {
  type: "counter" | "histogram" | "gauge";
  help: string;
  /** Upper bounds in the unit of the metric (seconds), for histograms. */
  buckets?: readonly number[];
}

const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;
const CANCEL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** Every family /metrics can show, with its HELP text. */
export const FAMILIES: Readonly<Record<string, Family>> = {
  hookline_deliveries_total: {
    type: "counter",
    help: "Deliveries recorded durably, by source and outcome (accepted, recorded = a WhatsApp status, duplicate = a repeat of a recorded key).",
  },
  hookline_runs_started_total: { type: "counter", help: "Runs started, by workflow." },
  hookline_runs_finished_total: {
    type: "counter",
    help: "Runs that reached a final status, by workflow and status (completed, failed, cancelled, governor_breached).",
  },
  hookline_step_duration_seconds: {
    type: "histogram",
    help: "Step attempt duration from start to result, by step kind and result status.",
    buckets: STEP_BUCKETS,
  },
  hookline_cancel_latency_seconds: {
    type: "histogram",
    help: "Time from a cancel request to its durable commit in the run (run.cancel latency_ms).",
    buckets: CANCEL_BUCKETS,
  },
  hookline_model_tokens_total: {
    type: "counter",
    help: "Tokens used by successful llm step attempts, by model string and direction (input, output).",
  },
  hookline_model_cost_usd_total: {
    type: "counter",
    help: "Cost in USD of successful llm step attempts, by model string, from the config's price table.",
  },
  hookline_events_dead: {
    type: "gauge",
    help: "EVENTS messages parked after exhausting their retries (replay with `hookline events replay`).",
  },
};

const TERMINAL = new Set<string>(FINISHED);

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** `{a="1",b="x"}` with keys sorted, or "" for no labels: the stored, rendered form of a label set. */
export function labelText(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] ?? "")}"`).join(",")}}`;
}

const counter = (name: string, labels: Labels, inc = 1): MetricUpdate => ({
  name,
  labels: labelText(labels),
  inc,
});

/** The series updates of one histogram observation: every bucket at or above it, +Inf, sum and count. */
export function observe(name: string, labels: Labels, value: number): MetricUpdate[] {
  const buckets = FAMILIES[name]?.buckets ?? [];
  const out: MetricUpdate[] = [];
  for (const le of buckets) {
    if (value <= le) out.push(counter(`${name}_bucket`, { ...labels, le: String(le) }));
  }
  out.push(counter(`${name}_bucket`, { ...labels, le: "+Inf" }));
  out.push(counter(`${name}_sum`, labels, value));
  out.push(counter(`${name}_count`, labels));
  return out;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * What one run event adds, keyed by what happened rather than by the event's id: a run starts once, ends
 * once, each attempt finishes once, a run is cancelled once. Events that add nothing return null.
 *
 * @example metricsOfEvent({ type: "run.state", runId: "r1", workflowId: "w", data: { state: "completed" }, … })
 * // { mark: "run-end:r1", updates: [{ name: "hookline_runs_finished_total", labels: '{status="completed",workflow="w"}', inc: 1 }] }
 */
export function metricsOfEvent(e: EventEnvelope): MarkedUpdates | null {
  const run = e.runId;
  if (!run) return null;
  const d = e.data;
  const workflow = e.workflowId ?? "unknown";
  if (e.type === "run.state") {
    const state = str(d.state);
    if (state === "started") {
      return { mark: `run-start:${run}`, updates: [counter("hookline_runs_started_total", { workflow })] };
    }
    if (state && TERMINAL.has(state)) {
      return {
        mark: `run-end:${run}`,
        updates: [counter("hookline_runs_finished_total", { workflow, status: state })],
      };
    }
    return null;
  }
  if (e.type === "step.finish") {
    const attemptId = str(d.attempt_id);
    const latency = num(d.latency_ms);
    if (!attemptId || latency === null) return null;
    const kind = str(d.kind) ?? "unknown";
    const updates = observe(
      "hookline_step_duration_seconds",
      { kind, status: str(d.status) ?? "unknown" },
      latency / 1000,
    );
    const model = str(d.model);
    if (kind === "llm" && model) {
      const input = num(d.input_tokens);
      const output = num(d.output_tokens);
      const cost = num(d.cost_usd);
      if (input) updates.push(counter("hookline_model_tokens_total", { model, direction: "input" }, input));
      if (output)
        updates.push(counter("hookline_model_tokens_total", { model, direction: "output" }, output));
      if (cost) updates.push(counter("hookline_model_cost_usd_total", { model }, cost));
    }
    return { mark: `step:${run}:${attemptId}`, updates };
  }
  if (e.type === "run.cancel") {
    const latency = num(d.latency_ms);
    if (latency === null) return null;
    return {
      mark: `cancel:${run}`,
      updates: observe("hookline_cancel_latency_seconds", {}, latency / 1000),
    };
  }
  return null;
}

/**
 * What a delivery summary adds, given the seen count already counted for its key (0 if none): the first
 * sighting counts under its outcome, every later one as `duplicate`.
 */
export function metricsOfDelivery(
  row: { source: string; outcome: string; seenCount: number },
  counted: number,
): MetricUpdate[] {
  const out: MetricUpdate[] = [];
  if (counted === 0)
    out.push(counter("hookline_deliveries_total", { source: row.source, outcome: row.outcome }));
  const repeats = row.seenCount - Math.max(counted, 1);
  if (repeats > 0) {
    out.push(counter("hookline_deliveries_total", { source: row.source, outcome: "duplicate" }, repeats));
  }
  return out;
}

const formatValue = (v: number) =>
  Number.isFinite(v) ? String(v) : Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";

/**
 * The Prometheus text exposition format (version 0.0.4) for stored series plus gauges computed at read time.
 * Every family gets HELP and TYPE; a histogram's label set lists every bucket (0 where nothing fell).
 */
export function renderPrometheus(
  rows: readonly { name: string; labels: string; value: number }[],
  gauges: Readonly<Record<string, number>> = {},
): string {
  const byName = new Map<string, Map<string, number>>();
  for (const r of rows) {
    let series = byName.get(r.name);
    if (!series) byName.set(r.name, (series = new Map()));
    series.set(r.labels, r.value);
  }
  const lines: string[] = [];
  for (const [family, def] of Object.entries(FAMILIES)) {
    lines.push(`# HELP ${family} ${def.help}`, `# TYPE ${family} ${def.type}`);
    if (def.type === "gauge") {
      lines.push(`${family} ${formatValue(gauges[family] ?? 0)}`);
      continue;
    }
    if (def.type === "counter") {
      for (const [labels, value] of sorted(byName.get(family)))
        lines.push(`${family}${labels} ${formatValue(value)}`);
      continue;
    }
    const counts = byName.get(`${family}_count`);
    const sums = byName.get(`${family}_sum`);
    const buckets = byName.get(`${family}_bucket`);
    for (const [labels, count] of sorted(counts)) {
      const base = parseLabelText(labels);
      for (const le of [...(def.buckets ?? []).map(String), "+Inf"]) {
        const key = labelText({ ...base, le });
        lines.push(`${family}_bucket${key} ${formatValue(buckets?.get(key) ?? 0)}`);
      }
      lines.push(`${family}_sum${labels} ${formatValue(sums?.get(labels) ?? 0)}`);
      lines.push(`${family}_count${labels} ${formatValue(count)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

const sorted = (m: Map<string, number> | undefined) =>
  [...(m ?? new Map<string, number>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The inverse of `labelText` for the label sets it wrote. */
function parseLabelText(text: string): Labels {
  const out: Labels = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out[m[1] as string] = (m[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return out;
}
