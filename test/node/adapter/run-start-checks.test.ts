import { describe, expect, it } from "vitest";
import type { RunApi } from "../../../src/host/resources.ts";
import { openRuns, traceOf } from "./run-host.ts";
import { tempDir } from "./tmp.ts";

// A run pins the workflow its start names, for its whole life: the start checks it as the config loader does,
// defaults included, instead of trusting the caller.
describe("a run's start checks the workflow it pins", { timeout: 30_000 }, () => {
  it("refuses a workflow the config would refuse, naming the path", async () => {
    const { runs } = openRuns(tempDir(), { inlineSteps: false });
    try {
      const stub = runs.getByName("run_bad_workflow1") as unknown as RunApi;
      await expect(
        stub.fromSession({
          type: "start",
          runId: "run_bad_workflow1",
          workflowId: "bad",
          workflow: { id: "bad", steps: [{ id: "think", kind: "llm", model: "echo" }] },
          input: {},
        }),
      ).rejects.toThrow(/prompt/);
      expect(await stub.getStatus()).toBeNull();
    } finally {
      await runs.close();
    }
  });

  it("fills in the defaults (a step's timeout) before pinning it", async () => {
    const { runs, sent } = openRuns(tempDir(), { inlineSteps: false });
    try {
      const stub = runs.getByName("run_defaults1") as unknown as RunApi;
      await stub.fromSession({
        type: "start",
        runId: "run_defaults1",
        workflowId: "defaults",
        workflow: { id: "defaults", steps: [{ id: "think", kind: "llm", model: "echo", prompt: "hi" }] },
        input: {},
      });
      expect(sent).toHaveLength(1);
      const trace = await traceOf(stub);
      expect(trace.status).toBe("running");
      expect(trace.steps.map((s) => s.stepId)).toEqual(["think"]);
    } finally {
      await runs.close();
    }
  });
});
