import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { EventEnvelope } from "../../src/engine/messages.ts";
import worker from "../../src/index.ts";
import { adminHeaders } from "../fixtures/runs.ts";
import { BASE_URL } from "../fixtures/secrets.ts";

const runState = (runId: string, id: string, state: string, at: number): EventEnvelope => ({
  v: 1,
  id,
  type: "run.state",
  runId,
  workflowId: "dlq-workflow",
  source: "dlq-source",
  deliveryKey: null,
  at,
  data: { state, at },
});

describe("EVENTS dead letters (workerd)", () => {
  it("parks what exhausted its retries, shows it, and a replay puts it back on EVENTS exactly once", async () => {
    const runId = `run_dlq_${crypto.randomUUID().replaceAll("-", "")}`;
    const at = Date.now();
    const events = [
      runState(runId, `${runId}:1`, "started", at),
      runState(runId, `${runId}:2`, "completed", at + 1),
    ];
    // The same batch dead-lettered twice (a redelivery of the DLQ message) parks each event once.
    for (const id of ["dead-a", "dead-b"]) {
      const batch = createMessageBatch("hookline-events-dlq", [
        { id, timestamp: new Date(), attempts: 11, body: { v: 1, events } },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      expect(await getQueueResult(batch, ctx)).toMatchObject({ outcome: "ok", ackAll: true });
    }

    const dead = await SELF.fetch(`${BASE_URL}/admin/events/dead`, { headers: adminHeaders });
    const parked = (await dead.json()) as { total: number; oldest: EventEnvelope[] };
    expect(parked.oldest.filter((e) => e.runId === runId).map((e) => e.id)).toEqual([
      `${runId}:1`,
      `${runId}:2`,
    ]);

    const replay = await SELF.fetch(`${BASE_URL}/admin/events/replay`, {
      method: "POST",
      headers: adminHeaders,
    });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ replayed: parked.total, left: 0 });

    // Back through the real EVENTS queue into the run index (no DATABASE_URL in this project).
    await vi.waitFor(
      async () => {
        const res = await SELF.fetch(`${BASE_URL}/runs?workflow=dlq-workflow&source=dlq-source`, {
          headers: adminHeaders,
        });
        const body = (await res.json()) as { runs: { runId: string; status: string }[] };
        expect(body.runs.filter((r) => r.runId === runId)).toEqual([
          expect.objectContaining({ status: "completed" }),
        ]);
      },
      { timeout: 15_000, interval: 50 },
    );
    const after = await SELF.fetch(`${BASE_URL}/admin/events/dead`, { headers: adminHeaders });
    expect(((await after.json()) as { total: number }).total).toBe(0);
  });

  it("needs the admin token", async () => {
    expect((await SELF.fetch(`${BASE_URL}/admin/events/replay`, { method: "POST" })).status).toBe(401);
  });
});
