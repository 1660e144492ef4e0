import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildReport,
  factsFromPostgres,
  type Report,
  renderMarkdown,
  reportCommand,
} from "../../../src/cli/report.ts";
import type { EventEnvelope } from "../../../src/engine/messages.ts";
import { DELIVERY_EVENT } from "../../../src/history/fold.ts";
import { freshHistoryDb, type HistoryDb } from "../../fixtures/history-db.ts";

// `hookline report` over Postgres history: a database of this file's own (PGlite where no Postgres answers),
// seeded through the real writer with the events runs, sessions and cancels send, then every figure checked.
let h: HistoryDb;
let report: Report;
const T = 1_800_000_000_000; // the window starts here
const HOUR = 3_600_000;

let seq = 0;
function ev(
  runId: string | null,
  type: string,
  at: number,
  data: Record<string, unknown>,
  meta: { workflowId?: string; source?: string; deliveryKey?: string } = {},
): EventEnvelope {
  seq += 1;
  return {
    v: 1,
    id: `${runId ?? "session"}:${seq}`,
    type,
    runId,
    workflowId: runId ? (meta.workflowId ?? "wf") : null,
    source: meta.source ?? null,
    deliveryKey: meta.deliveryKey ?? null,
    at,
    data,
  };
}

interface Step {
  id: string;
  kind: string;
  latencyMs: number;
  status?: string;
  model?: { provider: string; model: string; input: number; output: number; cost?: number };
}

/** One run as the RunObject emits it: started, each step's start/model.call/finish, then its end. */
function run(args: {
  runId: string;
  source: string;
  channel: string;
  at: number;
  status: string;
  steps: Step[];
  cancel?: { source: string; latencyMs: number };
  decision?: unknown;
}): EventEnvelope[] {
  const deliveryKey = `${args.source}:${args.runId}`;
  const meta = { source: args.source, deliveryKey };
  const out: EventEnvelope[] = [
    ev(null, DELIVERY_EVENT, args.at, {
      key: deliveryKey,
      source: args.source,
      channel: args.channel,
      kind: "message",
      outcome: "accepted",
      sessionKey: `s:${args.runId}`,
      receivedAt: args.at,
      lastSeenAt: args.at,
      expiresAt: args.at + 26 * HOUR,
      seenCount: 1,
      decision: args.decision ?? null,
    }),
    ev(args.runId, "run.state", args.at, { state: "started", at: args.at, input_summary: "{}" }, meta),
  ];
  let t = args.at;
  for (const step of args.steps) {
    const base = { step_id: step.id, attempt_id: `${step.id}#1`, attempt: 1, kind: step.kind };
    out.push(ev(args.runId, "step.start", t, { ...base, at: t }, meta));
    t += step.latencyMs;
    if (step.model) {
      out.push(
        ev(
          args.runId,
          "model.call",
          t,
          {
            ...base,
            provider: step.model.provider,
            model: step.model.model,
            latency_ms: step.latencyMs,
            input_tokens: step.model.input,
            output_tokens: step.model.output,
          },
          meta,
        ),
      );
    }
    out.push(
      ev(
        args.runId,
        "step.finish",
        t,
        {
          ...base,
          status: step.status ?? "succeeded",
          at: t,
          latency_ms: step.latencyMs,
          ...(step.model && {
            input_tokens: step.model.input,
            output_tokens: step.model.output,
            ...(step.model.cost !== undefined && { cost_usd: step.model.cost }),
          }),
        },
        meta,
      ),
    );
  }
  if (args.cancel) {
    out.push(ev(args.runId, "run.state", t, { state: "cancel_requested", at: t }, meta));
    out.push(
      ev(
        args.runId,
        "run.cancel",
        t,
        {
          source: args.cancel.source,
          requested_at: t - args.cancel.latencyMs,
          acknowledged_at: t,
          latency_ms: args.cancel.latencyMs,
        },
        meta,
      ),
    );
  }
  if (args.status !== "running")
    out.push(ev(args.runId, "run.state", t + 1, { state: args.status, at: t + 1 }, meta));
  return out;
}

const gpt = (input: number, output: number, cost: number) => ({
  provider: "openai",
  model: "gpt-4o-mini",
  input,
  output,
  cost,
});
const echo = (input: number, output: number) => ({ provider: "echo", model: "echo", input, output });
const match = (rule: string) => ({
  event: "reaction.match",
  data: { rule, channel: "telegram", source: "demo-bot", sender: "42", filters: "any" },
});

/** A chat message no rule took: recorded and acknowledged, no run. */
function skipped(key: string, at: number, reason: string): EventEnvelope {
  return ev(null, DELIVERY_EVENT, at, {
    key,
    source: "demo-bot",
    channel: "telegram",
    kind: "message",
    outcome: "accepted",
    sessionKey: "tg:demo-bot:chat:42",
    receivedAt: at,
    lastSeenAt: at,
    expiresAt: at + 26 * HOUR,
    seenCount: 1,
    decision: {
      event: "reaction.skip",
      data: { reason, candidates: 1, channel: "telegram", source: "demo-bot", sender: "42" },
    },
  });
}

beforeAll(async () => {
  h = await freshHistoryDb();
  const at = (minutes: number) => T + minutes * 60_000;
  const batches = [
    // Telegram: three completed, one stopped from the chat.
    run({
      runId: "tg-1",
      source: "demo-bot",
      channel: "telegram",
      at: at(1),
      status: "completed",
      decision: match("ask"),
      steps: [
        { id: "answer", kind: "llm", latencyMs: 100, model: gpt(100, 20, 0.0001) },
        { id: "route", kind: "branch", latencyMs: 0 },
      ],
    }),
    run({
      runId: "tg-2",
      source: "demo-bot",
      channel: "telegram",
      at: at(2),
      status: "completed",
      decision: match("ask"),
      steps: [{ id: "answer", kind: "llm", latencyMs: 200, model: gpt(200, 40, 0.0002) }],
    }),
    run({
      runId: "tg-3",
      source: "demo-bot",
      channel: "telegram",
      at: at(3),
      status: "completed",
      decision: match("source:demo-bot"),
      steps: [{ id: "answer", kind: "llm", latencyMs: 300, model: echo(5, 5) }],
    }),
    run({
      runId: "tg-4",
      source: "demo-bot",
      channel: "telegram",
      at: at(4),
      status: "cancelled",
      decision: match("ask"),
      steps: [{ id: "answer", kind: "llm", latencyMs: 400, status: "failed", model: echo(7, 0) }],
      cancel: { source: "telegram:/stop", latencyMs: 40 },
    }),
    // Generic orders: one of each ending, and one still running.
    run({
      runId: "or-1",
      source: "orders",
      channel: "generic",
      at: at(5),
      status: "completed",
      steps: [
        { id: "lookup", kind: "http", latencyMs: 50 },
        { id: "classify", kind: "llm", latencyMs: 1000, model: gpt(1000, 200, 0.0007) },
      ],
    }),
    run({
      runId: "or-2",
      source: "orders",
      channel: "generic",
      at: at(6),
      status: "failed",
      steps: [{ id: "lookup", kind: "http", latencyMs: 150, status: "failed" }],
    }),
    run({
      runId: "or-3",
      source: "orders",
      channel: "generic",
      at: at(7),
      status: "governor_breached",
      steps: [],
    }),
    run({
      runId: "or-4",
      source: "orders",
      channel: "generic",
      at: at(8),
      status: "cancelled",
      steps: [],
      cancel: { source: "api", latencyMs: 10 },
    }),
    run({ runId: "or-5", source: "orders", channel: "generic", at: at(9), status: "running", steps: [] }),
    // Before the window: must not count.
    run({
      runId: "old-1",
      source: "orders",
      channel: "generic",
      at: T - HOUR,
      status: "failed",
      steps: [{ id: "lookup", kind: "http", latencyMs: 9999 }],
      cancel: { source: "api", latencyMs: 9999 },
    }),
    [
      skipped("demo-bot:901", at(10), "no_rule"),
      skipped("demo-bot:902", at(11), "no_rule"),
      skipped("demo-bot:903", at(12), "filtered"),
      skipped("demo-bot:800", T - HOUR, "denied"),
    ],
  ];
  // Several batches, as the EVENTS consumer writes them.
  for (const batch of batches) await h.store.write(batch);
  report = buildReport(await factsFromPostgres(h.query, T, T + HOUR), T + HOUR);
});

afterAll(async () => {
  await h?.close();
});

describe(`hookline report from Postgres (${process.env.CI ? "CI" : "local"})`, () => {
  it("rates by channel and by source: shares of the finished runs, errors = failed + governor_breached", () => {
    expect(report.from).toBe("postgres");
    expect(report.runs.total).toBe(9);
    expect(report.runs.byChannel).toEqual([
      {
        channel: "generic",
        runs: 5,
        finished: 4,
        open: 1,
        completed: 1,
        failed: 1,
        governorBreached: 1,
        cancelled: 1,
        completionRate: 0.25,
        errorRate: 0.5,
        cancelRate: 0.25,
      },
      {
        channel: "telegram",
        runs: 4,
        finished: 4,
        open: 0,
        completed: 3,
        failed: 0,
        governorBreached: 0,
        cancelled: 1,
        completionRate: 0.75,
        errorRate: 0,
        cancelRate: 0.25,
      },
    ]);
    expect(report.runs.bySource.map((r) => [r.channel, r.source, r.runs])).toEqual([
      ["generic", "orders", 5],
      ["telegram", "demo-bot", 4],
    ]);
  });

  it("cancel latency p50/p95 from run.cancel, overall and by who asked", () => {
    // 10 and 40 ms: p50 = 25, p95 = 10 + 0.95 × 30 = 38.5 (linear, as percentile_cont).
    expect(report.cancels).toMatchObject({ count: 2, p50Ms: 25, p95Ms: 38.5 });
    expect(report.cancels?.bySource).toEqual([
      { source: "api", count: 1, p50Ms: 10, p95Ms: 10 },
      { source: "telegram:/stop", count: 1, p50Ms: 40, p95Ms: 40 },
    ]);
  });

  it("trigger decisions: skip reasons and matched rules with counts", () => {
    expect(report.deliveries.total).toBe(12);
    expect(report.deliveries.byOutcome).toEqual({ accepted: 12 });
    expect(report.deliveries.triggers).toEqual({
      decided: 7,
      matched: 4,
      skipped: 3,
      skipReasons: [
        { reason: "no_rule", count: 2 },
        { reason: "filtered", count: 1 },
      ],
      matchedRules: [
        { rule: "ask", count: 3 },
        { rule: "source:demo-bot", count: 1 },
      ],
    });
  });

  it("step latency p50/p95 by kind", () => {
    const byKind = Object.fromEntries((report.steps ?? []).map((s) => [s.kind, s]));
    // llm: 100, 200, 300, 400, 1000 → p50 300, p95 = 400 + 0.8 × 600 = 880.
    expect(byKind.llm).toMatchObject({
      attempts: 5,
      count: 5,
      p50Ms: 300,
      p95Ms: 880,
      byStatus: { succeeded: 4, failed: 1 },
    });
    // http: 50, 150 → p50 100, p95 145.
    expect(byKind.http).toMatchObject({ attempts: 2, p50Ms: 100, p95Ms: 145 });
    expect(byKind.branch).toMatchObject({ attempts: 1, p50Ms: 0 });
  });

  it("tokens and cost by model; a model without a price has no cost", () => {
    expect(report.models).toEqual([
      { provider: "echo", model: "echo", calls: 2, inputTokens: 12, outputTokens: 5, costUsd: null },
      {
        provider: "openai",
        model: "gpt-4o-mini",
        calls: 3,
        inputTokens: 1300,
        outputTokens: 260,
        costUsd: 0.001,
      },
    ]);
  });

  it("renders Markdown with every section, and the CLI writes report.md + report.json", async () => {
    const md = renderMarkdown(report);
    expect(md).toContain("| generic | 5 | 4 | 1 | 1 (25.0%) | 2 (50.0%) | 1 (25.0%) |");
    expect(md).toContain("| no_rule | 2 |");
    expect(md).toContain("| llm | 5 | succeeded 4, failed 1 | 5 | 300 ms | 880 ms |");
    expect(md).toContain("| openai gpt-4o-mini | 3 | 1300 | 260 | 0.001000 |");
    if (!h.url) return; // PGlite has no URL for the CLI to connect to
    const dir = mkdtempSync(join(tmpdir(), "hookline-report-"));
    try {
      const code = await reportCommand(dir, [
        "--database-url",
        h.url,
        "--since",
        String(T),
        "--until",
        new Date(T + HOUR).toISOString(),
        "--out",
        "out/report",
      ]);
      expect(code).toBe(0);
      const json = JSON.parse(readFileSync(join(dir, "out/report.json"), "utf8")) as Report;
      expect({ ...json, generatedAt: "" }).toEqual({ ...report, generatedAt: "" });
      expect(readFileSync(join(dir, "out/report.md"), "utf8")).toContain("## Cancel latency");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
