import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../../src/engine/messages.ts";
import { decodeCursor } from "../../../src/history/cursor.ts";
import { DELIVERY_EVENT } from "../../../src/history/fold.ts";
import { freshHistoryDb, type HistoryDb } from "../../fixtures/history-db.ts";

// The history writer and readers against a real Postgres (a database of this file's own), or PGlite where
// none is reachable. Every write goes through the one-statement upsert the EVENTS consumer uses.
let h: HistoryDb;
beforeAll(async () => {
  h = await freshHistoryDb();
});
afterAll(async () => {
  await h?.close();
});

let seq = 0;
function ev(runId: string, type: string, at: number, data: Record<string, unknown>): EventEnvelope {
  seq += 1;
  return {
    v: 1,
    id: `${runId}:${seq}`,
    type,
    runId,
    workflowId: "wf-a",
    source: "src-a",
    deliveryKey: `dk-${runId}`,
    at,
    data,
  };
}

/** A whole run's events: start, a transform, an llm call with usage, completion. */
function runEvents(runId: string, t0: number, input = "hello", output = "done") {
  return [
    ev(runId, "run.state", t0, {
      state: "started",
      at: t0,
      workflow_version: "2",
      input_summary: `{"text":"${input}"}`,
    }),
    ev(runId, "step.start", t0, {
      step_id: "shape",
      attempt_id: "shape#1",
      attempt: 1,
      kind: "transform",
      at: t0,
    }),
    ev(runId, "step.finish", t0, {
      step_id: "shape",
      attempt_id: "shape#1",
      attempt: 1,
      kind: "transform",
      status: "succeeded",
      at: t0,
      latency_ms: 0,
      output: { shaped: input },
    }),
    ev(runId, "step.start", t0 + 1, {
      step_id: "ask",
      attempt_id: "ask#1",
      attempt: 1,
      kind: "llm",
      at: t0 + 1,
    }),
    ev(runId, "model.call", t0 + 5, {
      kind: "llm",
      step_id: "ask",
      attempt_id: "ask#1",
      attempt: 1,
      provider: "openai",
      model: "gpt-test",
      latency_ms: 4,
      input_tokens: 10,
      output_tokens: 3,
    }),
    ev(runId, "step.finish", t0 + 5, {
      step_id: "ask",
      attempt_id: "ask#1",
      attempt: 1,
      kind: "llm",
      status: "succeeded",
      at: t0 + 5,
      latency_ms: 4,
      input_tokens: 10,
      output_tokens: 3,
      cost_usd: 0.001,
      output: output,
    }),
    ev(runId, "run.state", t0 + 6, {
      state: "completed",
      at: t0 + 6,
      output,
      usage: { input_tokens: 10, output_tokens: 3, cost_usd: 0.001, steps: 2 },
    }),
  ];
}

describe(`history store (${process.env.CI ? "CI" : "local"})`, () => {
  it("writes a run's batch once: a redelivered or reordered batch adds no row", async () => {
    const batch = runEvents("r-once", 1_000_000);
    const first = await h.store.write(batch);
    expect(first).toMatchObject({ events: 7, runs: 1, attempts: 2 });
    const again = await h.store.write([...batch].reverse());
    expect(again.events).toBe(0);
    const [count] = await h.query<{ n: number }>("select count(*)::int as n from events where run_id = $1", [
      "r-once",
    ]);
    expect(count?.n).toBe(7);
    const [run] = await h.query<Record<string, unknown>>("select * from runs where run_id = $1", ["r-once"]);
    expect(run).toMatchObject({
      status: "completed",
      workflow_version: "2",
      input_summary: '{"text":"hello"}',
      output: "done",
      input_tokens: 10,
      output_tokens: 3,
      steps_run: 2,
    });
  });

  it("keeps every step, pure ones included, with outputs, model and usage", async () => {
    await h.store.write(runEvents("r-steps", 2_000_000));
    const steps = await h.query<Record<string, unknown>>(
      "select step_id, kind, status, provider, model, input_tokens, output from step_attempts where run_id = $1 order by started_at",
      ["r-steps"],
    );
    expect(steps).toEqual([
      expect.objectContaining({
        step_id: "shape",
        kind: "transform",
        status: "succeeded",
        output: { shaped: "hello" },
      }),
      expect.objectContaining({
        step_id: "ask",
        kind: "llm",
        status: "succeeded",
        provider: "openai",
        model: "gpt-test",
      }),
    ]);
  });

  it("never moves a run back: a late `running` after the terminal state changes nothing", async () => {
    const [started, , , , , , done] = runEvents("r-late", 3_000_000);
    await h.store.write([done as EventEnvelope]);
    await h.store.write([started as EventEnvelope]);
    await h.store.write([ev("r-late", "run.state", 3_000_003, { state: "running", at: 3_000_003 })]);
    const [run] = await h.query<Record<string, unknown>>(
      "select status, started_at::float8 as started_at from runs where run_id = $1",
      ["r-late"],
    );
    expect(run).toMatchObject({ status: "completed", started_at: 3_000_000 });
  });

  it("a finished attempt is not set back to running by a late step.start", async () => {
    const events = runEvents("r-attempt", 4_000_000);
    await h.store.write(events.slice(4)); // model.call, finish, completed
    await h.store.write(events.slice(0, 4)); // start events arrive later
    const [ask] = await h.query<Record<string, unknown>>(
      "select status, started_at::float8 as started_at, model from step_attempts where run_id = $1 and step_id = 'ask'",
      ["r-attempt"],
    );
    expect(ask).toMatchObject({ status: "succeeded", started_at: 4_000_001, model: "gpt-test" });
  });

  it("lists runs newest first with filters, free text, and cursors that never repeat or skip", async () => {
    const t = 5_000_000;
    // 25 runs in one millisecond, so paging must order by id too.
    const batch = Array.from({ length: 25 }, (_, i) =>
      runEvents(`r-page-${String(i).padStart(2, "0")}`, t, `word${i}`, i % 2 ? "odd" : "even"),
    ).flat();
    await h.store.write(batch);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.store.listRuns({
        since: t,
        until: t,
        limit: 7,
        cursor: cursor ? (decodeCursor(cursor) ?? undefined) : undefined,
      });
      seen.push(...page.items.map((r) => r.runId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen).toEqual([...seen].sort().reverse());

    const text = await h.store.listRuns({ since: t, until: t, q: "word7", limit: 50 });
    expect(text.items.map((r) => r.runId)).toEqual(["r-page-07"]);
    const odd = await h.store.listRuns({ since: t, until: t, q: "odd", limit: 50 });
    expect(odd.items).toHaveLength(12);
    const none = await h.store.listRuns({ since: t, until: t, status: "failed", limit: 50 });
    expect(none.items).toHaveLength(0);
    const bySource = await h.store.listRuns({
      since: t,
      until: t,
      source: "src-a",
      workflow: "wf-a",
      limit: 50,
    });
    expect(bySource.items).toHaveLength(25);
  });

  it("upserts delivery summaries: the higher seen count wins, in any order", async () => {
    const summary = (seenCount: number, outcome: string) => ({
      v: 1 as const,
      id: `delivery:dk-1:${seenCount}`,
      type: DELIVERY_EVENT,
      runId: null,
      workflowId: null,
      source: "src-d",
      deliveryKey: "dk-1",
      at: 6_000_000 + seenCount,
      data: {
        key: "dk-1",
        source: "src-d",
        channel: "generic",
        kind: "webhook",
        outcome,
        sessionKey: "s-1",
        receivedAt: 6_000_000,
        expiresAt: 7_000_000,
        seenCount,
        lastSeenAt: 6_000_000 + seenCount,
        decision: JSON.stringify({
          event: "reaction.skip",
          data: { rule: "no-match", reason: "no trigger matched" },
        }),
      },
    });
    await h.store.write([summary(3, "duplicate")]);
    await h.store.write([summary(1, "accepted"), summary(2, "duplicate")]);
    // The trigger decision joins the event stream once, however often the delivery was seen.
    const reactions = await h.query<{ type: string; data: { rule: string } }>(
      "select type, data from events where delivery_key = 'dk-1'",
    );
    expect(reactions).toEqual([
      { type: "reaction.skip", data: { rule: "no-match", reason: "no trigger matched" } },
    ]);
    const row = await h.store.getDelivery("dk-1");
    expect(row).toMatchObject({
      seenCount: 3,
      lastSeenAt: 6_000_003,
      receivedAt: 6_000_000,
      sessionKey: "s-1",
    });
    const page = await h.store.listDeliveries({ source: "src-d", limit: 10 });
    expect(page.items.map((d) => d.key)).toEqual(["dk-1"]);
  });

  it("purges runs (with their steps and events) and deliveries older than the retention", async () => {
    await h.store.write(runEvents("r-old", 100));
    await h.store.write(runEvents("r-new", 9_000_000));
    const gone = await h.store.purge(1_000);
    expect(gone.runs).toBe(1);
    const left = await h.query<{ run_id: string }>(
      "select distinct run_id from events where run_id in ('r-old','r-new')",
    );
    expect(left.map((r) => r.run_id)).toEqual(["r-new"]);
    const steps = await h.query("select 1 from step_attempts where run_id = 'r-old'");
    expect(steps).toHaveLength(0);
  });
});
