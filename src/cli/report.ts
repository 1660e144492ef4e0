import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { parseDuration } from "../core/duration.ts";
import { FINISHED } from "../engine/state.ts";
import { redact } from "./db.ts";
import { readDevVars } from "./dev-vars.ts";
import { CliError, loadFromDisk } from "./load.ts";

export const REPORT_USAGE = `  report [--since 24h] [--until <time>] [--out report] [--format md|json]
         [--database-url postgres://…] [--url http://127.0.0.1:8787] [--token-env HOOKLINE_ADMIN_TOKEN] [--traces 200]
                                          Run, cancel, trigger, step and model figures for a time window:
                                          from Postgres when DATABASE_URL is set, else the admin API's index`;

/**
 * `hookline report`: what happened in a time window, as Markdown for people and JSON for machines.
 *
 * Two sources, one set of numbers: Postgres history (every run, attempt, event and delivery) when a database
 * URL is given, otherwise the admin API of a running Hookline (the Durable Object index: run and delivery
 * lists, plus the traces of up to `--traces` runs for step timings, models and cancels). Both loaders produce
 * the same facts and `buildReport` computes every figure from them, so the definitions cannot drift apart.
 * What a source does not hold is said in `notes`, never made up.
 */

// ---- facts: what a loader reads -----------------------------------------------------------------------

export interface RunFact {
  runId: string;
  status: string;
  source: string | null;
  channel: string | null;
}

export interface CancelFact {
  runId: string;
  /** Who asked: `api`, `telegram:/stop`, … */
  source: string | null;
  latencyMs: number | null;
}

export interface DeliveryFact {
  source: string;
  channel: string;
  outcome: string;
  decision: unknown;
}

export interface AttemptFact {
  kind: string;
  status: string;
  /** null where the source has no timing for the attempt (a pure step in a trace). */
  latencyMs: number | null;
  provider: string | null;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
}

export interface ReportFacts {
  from: "postgres" | "index";
  since: number;
  until: number;
  runs: RunFact[];
  /** null: the source cannot tell (nothing was read for them). */
  cancels: CancelFact[] | null;
  deliveries: DeliveryFact[];
  attempts: AttemptFact[] | null;
  notes: string[];
}

// ---- the report -----------------------------------------------------------------------------------------

export interface RateRow {
  channel: string;
  source?: string;
  runs: number;
  finished: number;
  open: number;
  completed: number;
  failed: number;
  governorBreached: number;
  cancelled: number;
  /** Shares of the finished runs (null when none finished). */
  completionRate: number | null;
  errorRate: number | null;
  cancelRate: number | null;
}

export interface LatencyRow {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface Report {
  generatedAt: string;
  window: { since: string; until: string };
  from: "postgres" | "index";
  notes: string[];
  runs: { total: number; byChannel: RateRow[]; bySource: RateRow[] };
  cancels: (LatencyRow & { bySource: (LatencyRow & { source: string })[] }) | null;
  deliveries: {
    total: number;
    byOutcome: Record<string, number>;
    triggers: {
      decided: number;
      matched: number;
      skipped: number;
      skipReasons: { reason: string; count: number }[];
      matchedRules: { rule: string; count: number }[];
    };
  };
  steps: (LatencyRow & { kind: string; attempts: number; byStatus: Record<string, number> })[] | null;
  models:
    | {
        provider: string | null;
        model: string;
        calls: number;
        inputTokens: number;
        outputTokens: number;
        costUsd: number | null;
      }[]
    | null;
}

const ERROR_STATUSES = ["failed", "governor_breached"];

/** The p-th percentile with linear interpolation between ranks (Postgres `percentile_cont`). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return Math.round((a + (b - a) * (rank - lo)) * 10) / 10;
}

function latency(values: readonly number[]): LatencyRow {
  return { count: values.length, p50Ms: percentile(values, 0.5), p95Ms: percentile(values, 0.95) };
}

const share = (n: number, of: number) => (of === 0 ? null : Math.round((n / of) * 10_000) / 10_000);

function rateRow(channel: string, runs: readonly RunFact[], source?: string): RateRow {
  const count = (statuses: string[]) => runs.filter((r) => statuses.includes(r.status)).length;
  const finished = count([...FINISHED]);
  const completed = count(["completed"]);
  const failed = count(["failed"]);
  const governorBreached = count(["governor_breached"]);
  const cancelled = count(["cancelled"]);
  return {
    channel,
    ...(source !== undefined && { source }),
    runs: runs.length,
    finished,
    open: runs.length - finished,
    completed,
    failed,
    governorBreached,
    cancelled,
    completionRate: share(completed, finished),
    errorRate: share(count(ERROR_STATUSES), finished),
    cancelRate: share(cancelled, finished),
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

const counted = (map: Map<string, unknown[]>) =>
  [...map.entries()].map(([k, v]) => ({ k, count: v.length })).sort((a, b) => b.count - a.count);

const decisionOf = (d: unknown): { event?: string; data?: Record<string, unknown> } =>
  d && typeof d === "object" ? (d as { event?: string; data?: Record<string, unknown> }) : {};

/** Every figure of the report from the facts. Pure. */
export function buildReport(facts: ReportFacts, now = Date.now()): Report {
  const channelOf = (r: RunFact) => r.channel ?? "unknown";
  const byChannel = [...groupBy(facts.runs, channelOf)].map(([ch, runs]) => rateRow(ch, runs));
  const bySource = [...groupBy(facts.runs, (r) => `${channelOf(r)}\u0000${r.source ?? "(none)"}`)].map(
    ([key, runs]) => {
      const [ch, source] = key.split("\u0000") as [string, string];
      return rateRow(ch, runs, source);
    },
  );

  let cancels: Report["cancels"] = null;
  if (facts.cancels) {
    const timed = facts.cancels.filter((c) => c.latencyMs !== null);
    cancels = {
      ...latency(timed.map((c) => c.latencyMs as number)),
      bySource: [...groupBy(timed, (c) => c.source ?? "(unknown)")].map(([source, list]) => ({
        source,
        ...latency(list.map((c) => c.latencyMs as number)),
      })),
    };
  }

  const decisions = facts.deliveries.map((d) => decisionOf(d.decision)).filter((d) => d.event);
  const skips = decisions.filter((d) => d.event === "reaction.skip");
  const matches = decisions.filter((d) => d.event === "reaction.match");
  const byOutcome: Record<string, number> = {};
  for (const d of facts.deliveries) byOutcome[d.outcome] = (byOutcome[d.outcome] ?? 0) + 1;

  let steps: Report["steps"] = null;
  let models: Report["models"] = null;
  if (facts.attempts) {
    steps = [...groupBy(facts.attempts, (a) => a.kind)].map(([kind, list]) => {
      const byStatus: Record<string, number> = {};
      for (const a of list) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
      const timed = list.filter((a) => a.latencyMs !== null && a.status !== "running");
      return { kind, attempts: list.length, byStatus, ...latency(timed.map((a) => a.latencyMs as number)) };
    });
    const called = facts.attempts.filter((a) => a.model !== null);
    models = [...groupBy(called, (a) => `${a.provider ?? ""}\u0000${a.model}`)].map(([key, list]) => {
      const [provider, model] = key.split("\u0000") as [string, string];
      const costs = list.map((a) => a.costUsd).filter((c): c is number => c !== null);
      return {
        provider: provider || null,
        model,
        calls: list.length,
        inputTokens: list.reduce((n, a) => n + (a.inputTokens ?? 0), 0),
        outputTokens: list.reduce((n, a) => n + (a.outputTokens ?? 0), 0),
        costUsd: costs.length ? Math.round(costs.reduce((n, c) => n + c, 0) * 1e6) / 1e6 : null,
      };
    });
  }

  return {
    generatedAt: new Date(now).toISOString(),
    window: { since: new Date(facts.since).toISOString(), until: new Date(facts.until).toISOString() },
    from: facts.from,
    notes: facts.notes,
    runs: { total: facts.runs.length, byChannel, bySource },
    cancels,
    deliveries: {
      total: facts.deliveries.length,
      byOutcome,
      triggers: {
        decided: decisions.length,
        matched: matches.length,
        skipped: skips.length,
        skipReasons: counted(groupBy(skips, (d) => String(d.data?.reason ?? "(none)"))).map(
          ({ k, count }) => ({ reason: k, count }),
        ),
        matchedRules: counted(groupBy(matches, (d) => String(d.data?.rule ?? "(none)"))).map(
          ({ k, count }) => ({ rule: k, count }),
        ),
      },
    },
    steps,
    models,
  };
}

// ---- Markdown --------------------------------------------------------------------------------------------

const pct = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(1)}%`);
const msText = (v: number | null) => (v === null ? "—" : `${v} ms`);

function table(head: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return "_None in this window._";
  const line = (cells: (string | number)[]) =>
    `| ${cells.map((c) => String(c).replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [
    `# Hookline report: ${r.window.since} → ${r.window.until}`,
    "",
    `Generated ${r.generatedAt} from **${r.from === "postgres" ? "Postgres history" : "the admin API's index"}**.`,
  ];
  if (r.notes.length)
    out.push("", "**What this source does not hold:**", "", ...r.notes.map((n) => `- ${n}`));

  const rateHead = ["Channel", "Runs", "Finished", "Open", "Completed", "Errors", "Cancelled"];
  const rateCells = (x: RateRow) => [
    x.runs,
    x.finished,
    x.open,
    `${x.completed} (${pct(x.completionRate)})`,
    `${x.failed + x.governorBreached} (${pct(x.errorRate)})`,
    `${x.cancelled} (${pct(x.cancelRate)})`,
  ];
  out.push(
    "",
    "## Runs",
    "",
    `${r.runs.total} run(s) started in the window. Rates are shares of the finished runs; errors are ` +
      "`failed` plus `governor_breached`; open runs are still running or waiting.",
    "",
    "### By channel",
    "",
    table(
      rateHead,
      r.runs.byChannel.map((x) => [x.channel, ...rateCells(x)]),
    ),
    "",
    "### By source",
    "",
    table(
      ["Source", ...rateHead],
      r.runs.bySource.map((x) => [x.source ?? "", x.channel, ...rateCells(x)]),
    ),
  );

  out.push("", "## Cancel latency", "");
  if (!r.cancels) out.push("_Not available from this source (see above)._");
  else {
    out.push(
      "From the request to the committed cancel (`run.cancel` `latency_ms`).",
      "",
      table(
        ["Asked by", "Cancels", "p50", "p95"],
        [
          ...r.cancels.bySource.map((c) => [c.source, c.count, msText(c.p50Ms), msText(c.p95Ms)]),
          ...(r.cancels.count
            ? [["**all**", r.cancels.count, msText(r.cancels.p50Ms), msText(r.cancels.p95Ms)]]
            : []),
        ],
      ),
    );
  }

  const t = r.deliveries.triggers;
  out.push(
    "",
    "## Deliveries and trigger decisions",
    "",
    `${r.deliveries.total} deliver(ies) received: ${
      Object.entries(r.deliveries.byOutcome)
        .map(([k, v]) => `${v} ${k}`)
        .join(", ") || "none"
    }. ${t.decided} chat message(s) had a trigger decision: ${t.matched} matched, ${t.skipped} skipped.`,
    "",
    "### Skip reasons",
    "",
    table(
      ["Reason", "Count"],
      t.skipReasons.map((s) => [s.reason, s.count]),
    ),
    "",
    "### Matched rules",
    "",
    table(
      ["Rule", "Count"],
      t.matchedRules.map((s) => [s.rule, s.count]),
    ),
  );

  out.push("", "## Step latency by kind", "");
  if (!r.steps) out.push("_Not available from this source (see above)._");
  else
    out.push(
      table(
        ["Kind", "Attempts", "Statuses", "Timed", "p50", "p95"],
        r.steps.map((s) => [
          s.kind,
          s.attempts,
          Object.entries(s.byStatus)
            .map(([k, v]) => `${k} ${v}`)
            .join(", "),
          s.count,
          msText(s.p50Ms),
          msText(s.p95Ms),
        ]),
      ),
    );

  out.push("", "## Tokens and cost by model", "");
  if (!r.models) out.push("_Not available from this source (see above)._");
  else
    out.push(
      "Cost is `—` where no price is configured for the model (`models:` in hookline.yaml).",
      "",
      table(
        ["Model", "Calls", "Input tokens", "Output tokens", "Cost (USD)"],
        r.models.map((m) => [
          m.provider ? `${m.provider} ${m.model}` : m.model,
          m.calls,
          m.inputTokens,
          m.outputTokens,
          m.costUsd === null ? "—" : m.costUsd.toFixed(6),
        ]),
      ),
    );
  return `${out.join("\n")}\n`;
}

// ---- loaders -----------------------------------------------------------------------------------------------

export type Query = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
const n = (v: unknown) => (v === null || v === undefined || v === "" ? null : Number(v));

/**
 * Facts from Postgres history: runs started, cancels requested, deliveries received and attempts started in
 * [since, until). A run's channel is its delivery's; `channelOf` (the config) covers runs without one.
 */
export async function factsFromPostgres(
  query: Query,
  since: number,
  until: number,
  channelOf: (source: string | null) => string | null = () => null,
): Promise<ReportFacts> {
  const window = [since, until];
  const [runs, cancels, deliveries, attempts] = await Promise.all([
    query(
      `select r.run_id, r.status, r.source, d.channel from runs r left join deliveries d on d.key = r.delivery_key
       where r.started_at >= $1 and r.started_at < $2`,
      window,
    ),
    query(
      `select run_id, data->>'source' as source, (data->>'latency_ms')::float8 as latency_ms from events
       where type = 'run.cancel' and at >= $1 and at < $2`,
      window,
    ),
    query(
      `select source, channel, outcome, decision from deliveries where received_at >= $1 and received_at < $2`,
      window,
    ),
    query(
      `select kind, status, latency_ms, provider, model, input_tokens, output_tokens, cost_usd from step_attempts
       where started_at >= $1 and started_at < $2`,
      window,
    ),
  ]);
  return {
    from: "postgres",
    since,
    until,
    runs: runs.map((r) => ({
      runId: String(r.run_id),
      status: String(r.status),
      source: s(r.source),
      channel: s(r.channel) ?? channelOf(s(r.source)),
    })),
    cancels: cancels.map((c) => ({
      runId: String(c.run_id),
      source: s(c.source),
      latencyMs: n(c.latency_ms),
    })),
    deliveries: deliveries.map((d) => ({
      source: String(d.source),
      channel: String(d.channel),
      outcome: String(d.outcome),
      decision: typeof d.decision === "string" ? JSON.parse(d.decision) : d.decision,
    })),
    attempts: attempts.map((a) => ({
      kind: String(a.kind),
      status: String(a.status),
      latencyMs: n(a.latency_ms),
      provider: s(a.provider),
      model: s(a.model),
      inputTokens: n(a.input_tokens),
      outputTokens: n(a.output_tokens),
      costUsd: n(a.cost_usd),
    })),
    notes: [],
  };
}

interface TraceLike {
  status?: string;
  cancel?: { source?: string | null; latencyMs?: number | null; requestedAt?: string | null } | null;
  steps?: {
    kind: string;
    mode?: string;
    status: string;
    latencyMs: number | null;
    provider: string | null;
    model: string | null;
    inputTokens: number | null;
    outputTokens: number | null;
    costUsd: number | null;
  }[];
}

/**
 * Facts from the admin API of a running Hookline: `/runs` and `/admin/deliveries` paged with `nextCursor`,
 * `/health` for each source's channel, and the traces (`/runs/:id`) of the newest `maxTraces` runs for steps,
 * models and cancels, which the index lists do not hold.
 */
export async function factsFromApi(opts: {
  baseUrl: string;
  token: string;
  since: number;
  until: number;
  maxTraces: number;
  fetch?: typeof fetch;
}): Promise<ReportFacts> {
  const doFetch = opts.fetch ?? fetch;
  const get = async (path: string, auth = true): Promise<{ status: number; json: unknown }> => {
    const url = new URL(path, opts.baseUrl);
    let res: Response;
    try {
      res = await doFetch(url, auth ? { headers: { authorization: `Bearer ${opts.token}` } } : {});
    } catch (err) {
      throw new CliError(
        `could not reach Hookline at ${opts.baseUrl} (${(err as Error).message}); is it running?`,
      );
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403)
      throw new CliError(`${url.pathname} answered ${res.status}: ${text}`);
    return { status: res.status, json: res.ok ? JSON.parse(text) : null };
  };
  const list = async <T>(path: string, field: string): Promise<{ items: T[]; from: string }> => {
    const items: T[] = [];
    let cursor: string | null = null;
    let from = "index";
    do {
      const q = new URLSearchParams({
        since: String(opts.since),
        until: String(opts.until - 1),
        limit: "500",
      });
      if (cursor) q.set("cursor", cursor);
      const { status, json } = await get(`${path}?${q}`);
      if (status !== 200) throw new CliError(`${path} answered ${status}`);
      const page = json as Record<string, unknown> & { nextCursor: string | null; from?: string };
      items.push(...((page[field] as T[]) ?? []));
      from = page.from ?? from;
      cursor = page.nextCursor;
    } while (cursor);
    return { items, from };
  };

  const health = await get("/health", false);
  const channels = new Map<string, string>(
    ((health.json as { sources?: { name: string; channel: string }[] } | null)?.sources ?? []).map((x) => [
      x.name,
      x.channel,
    ]),
  );
  type RunItem = { runId: string; status: string; source: string | null; deliveryKey: string | null };
  type DeliveryItem = { key: string; source: string; channel: string; outcome: string; decision: unknown };
  const [runs, deliveries] = await Promise.all([
    list<RunItem>("/runs", "runs"),
    list<DeliveryItem>("/admin/deliveries", "deliveries"),
  ]);
  const deliveryChannel = new Map(deliveries.items.map((d) => [d.key, d.channel]));

  // Traces, newest runs first (the list's order), a few at a time.
  const sample = runs.items.slice(0, Math.max(0, opts.maxTraces));
  const traces: (TraceLike | null)[] = [];
  for (let i = 0; i < sample.length; i += 8) {
    const chunk = await Promise.all(
      sample.slice(i, i + 8).map(async (r) => {
        const { status, json } = await get(`/runs/${encodeURIComponent(r.runId)}`);
        return status === 200 ? (json as TraceLike) : null;
      }),
    );
    traces.push(...chunk);
  }
  const found = traces.filter((t): t is TraceLike => t !== null);
  const cancels: CancelFact[] = [];
  const attempts: AttemptFact[] = [];
  found.forEach((t, i) => {
    if (t.cancel?.requestedAt) {
      cancels.push({
        runId: sample[i]?.runId ?? "",
        source: t.cancel.source ?? null,
        latencyMs: t.cancel.latencyMs ?? null,
      });
    }
    for (const step of t.steps ?? []) {
      attempts.push({
        kind: step.kind,
        status: step.status,
        latencyMs: step.mode === "pure" ? null : step.latencyMs,
        provider: step.provider,
        model: step.model,
        inputTokens: step.inputTokens,
        outputTokens: step.outputTokens,
        costUsd: step.costUsd,
      });
    }
  });

  const notes: string[] = [];
  if (runs.from === "index") {
    notes.push(
      "The run index holds each run's status, workflow, source and times only; steps, models, tokens, cost and " +
        "cancels below come from the runs' traces (`GET /runs/:id`).",
    );
  }
  if (sample.length < runs.items.length) {
    notes.push(
      `Traces were read for the newest ${sample.length} of ${runs.items.length} runs (\`--traces\`): step, model ` +
        "and cancel figures cover those runs only.",
    );
  }
  if (found.length < sample.length) {
    notes.push(`${sample.length - found.length} run(s) had no trace any more (their object is gone).`);
  }
  notes.push(
    "Cancel latency counts cancels of runs started in the window (a trace belongs to its run), not cancels " +
      "requested in it; pure steps (transform, branch, reply, …) have no timing in a trace, so they are counted " +
      "but not timed.",
  );
  return {
    from: "index",
    since: opts.since,
    until: opts.until,
    runs: runs.items.map((r) => ({
      runId: r.runId,
      status: r.status,
      source: r.source,
      channel:
        (r.deliveryKey ? deliveryChannel.get(r.deliveryKey) : undefined) ??
        channels.get(r.source ?? "") ??
        null,
    })),
    cancels: sample.length ? cancels : null,
    deliveries: deliveries.items.map((d) => ({
      source: d.source,
      channel: d.channel,
      outcome: d.outcome,
      decision: d.decision,
    })),
    attempts: sample.length ? attempts : null,
    notes,
  };
}

// ---- the command -----------------------------------------------------------------------------------------

/** `--since 24h` (a duration back from now), or an ISO 8601 time / epoch ms. */
export function parseTime(value: string, now: number, flag: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const back = parseDuration(value);
  if (back !== undefined) return now - back;
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw new CliError(
      `${flag} "${value}": give a duration back from now (24h, 7d), an ISO 8601 time or epoch ms`,
    );
  return at;
}

export async function reportCommand(root: string, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      since: { type: "string", default: "24h" },
      until: { type: "string" },
      out: { type: "string" },
      format: { type: "string", default: "md" },
      "database-url": { type: "string" },
      url: { type: "string", default: "http://127.0.0.1:8787" },
      "token-env": { type: "string", default: "HOOKLINE_ADMIN_TOKEN" },
      traces: { type: "string", default: "200" },
      env: { type: "string" },
    },
  });
  if (values.format !== "md" && values.format !== "json") throw new CliError("--format is md or json");
  const maxTraces = Number(values.traces);
  if (!Number.isInteger(maxTraces) || maxTraces < 0)
    throw new CliError("--traces is a whole number (0: none)");
  const now = Date.now();
  const since = parseTime(values.since, now, "--since");
  const until = values.until ? parseTime(values.until, now, "--until") : now;
  if (since >= until) throw new CliError("--since must be before --until");
  const devVars = readDevVars(root);
  const dbUrl = values["database-url"] ?? process.env.DATABASE_URL ?? devVars.DATABASE_URL;

  let facts: ReportFacts;
  if (dbUrl) {
    const channelOf = sourceChannels(root, values.env ?? process.env.HOOKLINE_ENV);
    const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
    try {
      facts = await factsFromPostgres(
        async (text, params) => (await pool.query(text, params)).rows,
        since,
        until,
        channelOf,
      );
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`report could not read history from ${redact(dbUrl)}: ${(err as Error).message}`);
    } finally {
      await pool.end();
    }
  } else {
    const name = values["token-env"];
    const token = process.env[name] ?? devVars[name];
    if (!token) {
      throw new CliError(
        `report needs Postgres (--database-url or DATABASE_URL) or the admin token of a running Hookline: set ${name} (env or .dev.vars)`,
      );
    }
    facts = await factsFromApi({ baseUrl: values.url, token, since, until, maxTraces });
  }
  const report = buildReport(facts, now);
  const markdown = renderMarkdown(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (values.out) {
    const base = resolve(root, values.out.replace(/\.(md|json)$/, ""));
    mkdirSync(dirname(base), { recursive: true });
    writeFileSync(`${base}.md`, markdown);
    writeFileSync(`${base}.json`, json);
    console.error(
      `hookline: wrote ${base}.md and ${base}.json (${report.runs.total} runs, from ${report.from})`,
    );
  } else {
    process.stdout.write(values.format === "json" ? json : markdown);
  }
  return 0;
}

/** Each configured source's channel, for runs whose delivery row is gone; nothing when the config does not load. */
function sourceChannels(root: string, env: string | undefined): (source: string | null) => string | null {
  try {
    const config = loadFromDisk(root, env);
    return (source) => (source ? (config.sources[source]?.channel ?? null) : null);
  } catch {
    return () => null;
  }
}
