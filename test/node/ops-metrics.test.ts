import { afterEach, describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../src/engine/messages.ts";
import { renderPrometheus } from "../../src/host/metrics.ts";
import { type DeliverySummary, Ops } from "../../src/host/ops.ts";
import { NodeNamespace } from "../../src/node/object-host.ts";
import { tempDir } from "./adapter/tmp.ts";

// The /metrics counters in the real operator object over SQLite: each fact counts once, however often and
// by whichever path (run index without Postgres, countEvents with it) its event arrives.
let ns: NodeNamespace<Ops> | undefined;
afterEach(async () => {
  await ns?.close();
  ns = undefined;
});
function ops() {
  ns = new NodeNamespace({ kind: "ops", dir: tempDir(), create: (s) => new Ops(s) });
  return ns.getByName("global");
}

const ev = (id: string, type: string, data: Record<string, unknown>, runId = "run_1"): EventEnvelope => ({
  v: 1,
  id,
  type,
  runId,
  workflowId: "wf",
  source: "src",
  deliveryKey: null,
  at: 1,
  data,
});

const summary = (seenCount: number): DeliverySummary => ({
  key: "orders:d1",
  source: "orders",
  channel: "generic",
  kind: "message",
  outcome: "accepted",
  sessionKey: "in:orders:c1",
  receivedAt: 1,
  expiresAt: Date.now() + 86_400_000,
  seenCount,
  lastSeenAt: 1 + seenCount,
});

const valuesOf = async (o: Ops) =>
  Object.fromEntries((await o.metrics()).values.map((v) => [`${v.name}${v.labels}`, v.value]));

describe("Ops metrics", () => {
  it("counts a run's start, end, attempts, tokens, cost and cancel once under redelivery and both paths", async () => {
    const o = ops();
    const events = [
      ev("e1", "run.state", { state: "started", at: 1 }),
      ev("e2", "step.finish", {
        step_id: "a",
        attempt_id: "a#1",
        attempt: 1,
        kind: "llm",
        status: "succeeded",
        at: 2,
        latency_ms: 120,
        model: "openai:gpt-4o-mini",
        input_tokens: 10,
        output_tokens: 4,
        cost_usd: 0.25,
      }),
      ev("e3", "run.cancel", { source: "api", requested_at: 3, latency_ms: 7 }),
      ev("e4", "run.state", { state: "cancelled", at: 4 }),
    ];
    await o.applyRunEvents(events); // without Postgres
    await o.applyRunEvents(events); // redelivered
    await o.countEvents(events); // the Postgres path, replayed
    // A copy of the final event with another id (a re-sent outbox row) still ends the run once.
    await o.countEvents([{ ...(events[3] as EventEnvelope), id: "e4-again" }]);
    expect(await valuesOf(o)).toMatchObject({
      'hookline_runs_started_total{workflow="wf"}': 1,
      'hookline_runs_finished_total{status="cancelled",workflow="wf"}': 1,
      'hookline_step_duration_seconds_count{kind="llm",status="succeeded"}': 1,
      'hookline_step_duration_seconds_sum{kind="llm",status="succeeded"}': 0.12,
      'hookline_step_duration_seconds_bucket{kind="llm",le="0.25",status="succeeded"}': 1,
      'hookline_model_tokens_total{direction="input",model="openai:gpt-4o-mini"}': 10,
      'hookline_model_tokens_total{direction="output",model="openai:gpt-4o-mini"}': 4,
      'hookline_model_cost_usd_total{model="openai:gpt-4o-mini"}': 0.25,
      hookline_cancel_latency_seconds_count: 1,
      'hookline_cancel_latency_seconds_bucket{le="0.01"}': 1,
    });
    const values = await valuesOf(o);
    expect(
      values['hookline_step_duration_seconds_bucket{kind="llm",le="0.1",status="succeeded"}'],
    ).toBeUndefined();
  });

  it("counts a delivery once and every later sighting as a duplicate, in any order, by either path", async () => {
    const o = ops();
    await o.indexDeliveries([summary(1)]);
    await o.indexDeliveries([summary(3)]);
    await o.indexDeliveries([summary(2), summary(1)]); // late and repeated flushes
    // With Postgres the same summaries come as `delivery.seen` events.
    await o.countEvents([
      { ...ev("delivery:orders:d1:3", "delivery.seen", summary(3)), runId: null, workflowId: null },
    ]);
    expect(await valuesOf(o)).toEqual({
      'hookline_deliveries_total{outcome="accepted",source="orders"}': 1,
      'hookline_deliveries_total{outcome="duplicate",source="orders"}': 2,
    });
  });

  it("probes its storage by writing and reading a row", async () => {
    const o = ops();
    const probe = await o.probe();
    expect(probe.ok).toBe(true);
  });
});

describe("Prometheus rendering", () => {
  it("gives every family HELP and TYPE, fills empty buckets with 0 and escapes label values", () => {
    const text = renderPrometheus(
      [
        { name: "hookline_runs_started_total", labels: '{workflow="a\\"b"}', value: 2 },
        { name: "hookline_cancel_latency_seconds_bucket", labels: '{le="0.5"}', value: 1 },
        { name: "hookline_cancel_latency_seconds_bucket", labels: '{le="1"}', value: 1 },
        { name: "hookline_cancel_latency_seconds_bucket", labels: '{le="2.5"}', value: 1 },
        { name: "hookline_cancel_latency_seconds_bucket", labels: '{le="5"}', value: 1 },
        { name: "hookline_cancel_latency_seconds_bucket", labels: '{le="+Inf"}', value: 1 },
        { name: "hookline_cancel_latency_seconds_sum", labels: "", value: 0.3 },
        { name: "hookline_cancel_latency_seconds_count", labels: "", value: 1 },
      ],
      { hookline_events_dead: 3 },
    );
    expect(text).toContain('hookline_runs_started_total{workflow="a\\"b"} 2\n');
    expect(text).toContain("# TYPE hookline_cancel_latency_seconds histogram\n");
    expect(text).toContain('hookline_cancel_latency_seconds_bucket{le="0.25"} 0\n');
    expect(text).toContain(
      'hookline_cancel_latency_seconds_bucket{le="+Inf"} 1\nhookline_cancel_latency_seconds_sum 0.3\nhookline_cancel_latency_seconds_count 1\n',
    );
    expect(text).toContain("# TYPE hookline_events_dead gauge\nhookline_events_dead 3\n");
  });
});
