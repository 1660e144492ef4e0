import { describe, expect, it, vi } from "vitest";
import type { RunApi } from "../../../src/host/resources.ts";
import { openRuns, succeeded, traceOf } from "./run-host.ts";
import { tempDir } from "./tmp.ts";

// Found by `npm run faults` (crash-workerd): a worker killed mid-step leaves its attempt's row open; the step
// timeout fails that attempt and the run retries. A redelivered message of the timed-out attempt must not
// run it again, and a late result of it must not show as a second success in the trace.

describe("an attempt that timed out while its worker was gone", { timeout: 45_000 }, () => {
  it("is not started again, and its late result is ignored and not recorded as a success", async () => {
    // A STEPS queue whose messages nobody consumes: the worker that took attempt 1 died with its process.
    const { runs, sent, config } = openRuns(tempDir(), { inlineSteps: false });
    const chain = config.workflows.chain as unknown as { steps: Record<string, unknown>[] };
    try {
      const stub = runs.getByName("run_timedout1") as unknown as RunApi;
      await stub.fromSession({
        type: "start",
        runId: "run_timedout1",
        workflowId: "timeout-probe",
        // The test config's `chain` as parsed (retry defaults), cut to its first llm step with a 200 ms timeout.
        workflow: { ...chain, steps: [{ ...chain.steps[0], id: "think", timeout: 200 }] } as never,
        input: { text: "hi" },
      });
      await vi.waitFor(() => expect(sent.length).toBe(1), { timeout: 15_000, interval: 20 });
      const first = sent[0]?.attemptId as string;
      expect(await stub.stepStarted(first)).toEqual({ proceed: true });
      // The timeout fires, attempt 1 fails and attempt 2 is enqueued after its backoff.
      await vi.waitFor(() => expect(sent.length).toBe(2), { timeout: 18_000, interval: 50 });
      expect(await stub.isOutstanding(first)).toBe(false);
      expect(await stub.stepStarted(first)).toEqual({ proceed: false });
      const late = await stub.stepFinished("think", first, succeeded("late"));
      expect(late).toEqual({ applied: false });
      const second = sent[1]?.attemptId as string;
      expect(await stub.stepStarted(second)).toEqual({ proceed: true });
      const applied = await stub.stepFinished("think", second, succeeded("ok"));
      expect(applied).toEqual({ applied: true });
      const trace = JSON.parse((await stub.getTrace()) as string) as {
        status: string;
        ignoredResults: number;
        steps: { attemptId: string; status: string }[];
      };
      expect(trace.status).toBe("completed");
      expect(trace.ignoredResults).toBe(1);
      expect(trace.steps.map((s) => [s.attemptId, s.status])).toEqual([
        [first, "failed"],
        [second, "succeeded"],
      ]);
    } finally {
      await runs.close();
    }
  });
});
