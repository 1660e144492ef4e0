import { describe, expect, it, vi } from "vitest";
import type { RunApi } from "../../../src/host/resources.ts";
import { openRuns, succeeded, traceOf } from "./run-host.ts";
import { tempDir } from "./tmp.ts";

// Found by `npm run faults` (crash-workerd, one CPU): a step timeout counted from when the attempt was
// queued, so in a backlog longer than the timeout every attempt was failed before it started and its retry
// queued behind the same backlog, round after round. A queued attempt that never started is now sent again
// (same attempt) instead of failed, its timeout counts from its start, and only one copy may start it.
describe("a queued attempt that waits longer than its timeout", { timeout: 45_000 }, () => {
  // Each test its own files: a run left by another test would wake here and send its own messages.
  const setup = () => {
    // A STEPS queue whose messages wait: nobody consumes them until the test plays the worker.
    const { runs, sent, config } = openRuns(tempDir(), { inlineSteps: false });
    const chain = config.workflows.chain as unknown as { steps: Record<string, unknown>[] };
    const start = async (runId: string) => {
      const stub = runs.getByName(runId) as unknown as RunApi;
      await stub.fromSession({
        type: "start",
        runId,
        workflowId: "unstarted-probe",
        workflow: { ...chain, steps: [{ ...chain.steps[0], id: "think", timeout: 300 }] } as never,
        input: { text: "hi" },
      });
      return stub;
    };
    return { runs, sent, start };
  };

  it("times an attempt from its start, not from when it was queued", async () => {
    const { runs, sent, start } = setup();
    try {
      const stub = await start("run_unstarted2");
      await vi.waitFor(() => expect(sent.length).toBe(1), { timeout: 15_000, interval: 20 });
      const first = sent[0]?.attemptId as string;
      // Started 1 s after it was queued, just before its timer (300 ms + 1 s grace from the queueing) would
      // fire; counted from the start, it still has its whole timeout.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await stub.stepStarted(first)).toEqual({ proceed: true });
      await new Promise((r) => setTimeout(r, 800));
      expect(await stub.isOutstanding(first)).toBe(true);
      // And it does time out, from its start.
      await vi.waitFor(async () => expect(await stub.isOutstanding(first)).toBe(false), {
        timeout: 15_000,
        interval: 50,
      });
    } finally {
      await runs.close();
    }
  });

  it("is sent again rather than failed, and runs once when a copy arrives", async () => {
    const { runs, sent, start } = setup();
    try {
      const stub = await start("run_unstarted1");
      await vi.waitFor(() => expect(sent.length).toBe(1), { timeout: 15_000, interval: 20 });
      const first = sent[0]?.attemptId as string;
      // Its timeout (300 ms + 1 s grace) passes with the message still waiting: the same attempt is sent again.
      await vi.waitFor(() => expect(sent.length).toBe(2), { timeout: 15_000, interval: 50 });
      expect(sent[1]?.attemptId).toBe(first);
      expect(await stub.isOutstanding(first)).toBe(true);
      // The late original arrives first and starts it; the copy's first delivery is refused; a redelivery
      // (its worker may have died) may start it again.
      expect(await stub.stepStarted(first)).toEqual({ proceed: true });
      expect(await stub.stepStarted(first)).toEqual({ proceed: false });
      expect(await stub.stepStarted(first, true)).toEqual({ proceed: true });
      const applied = await stub.stepFinished("think", first, succeeded("ok"));
      expect(applied).toEqual({ applied: true });
      const trace = await traceOf(stub);
      expect(trace.status).toBe("completed");
      expect(trace.steps.map((s) => [s.attemptId, s.status])).toEqual([[first, "succeeded"]]);
    } finally {
      await runs.close();
    }
  });
});
