import { describe, expect, it } from "vitest";
import { retrySeed } from "../../src/engine/relaunch.ts";
import type { WorkflowInput } from "../../src/engine/workflow-schema.ts";
import { Scenario } from "./driver.ts";

const flow: WorkflowInput = {
  id: "w",
  steps: [
    { id: "fetch", kind: "http", url: "https://example.com/data" },
    { id: "pick", kind: "transform", set: { status: "steps.fetch.output.status" } },
    { id: "summarize", kind: "llm", model: "echo", prompt: "status {{ steps.pick.output.status }}" },
    { id: "answer", kind: "reply", text: "{{ steps.summarize.output }} / {{ steps.fetch.output.url }}" },
  ],
};
const fatal = { message: "model said no", retriable: false };

/** A run that fails at `summarize` after `fetch` and `pick` succeeded. */
function failedRun(): Scenario {
  const run = Scenario.start(flow, { input: { q: 1 } });
  run.succeed("fetch", { status: 200, url: "https://example.com/data" });
  run.fail("summarize", fatal);
  expect(run.state.status).toBe("failed");
  return run;
}

describe("retry from the failed step", () => {
  it("seeds the cursor at the failed step with the outputs before it", () => {
    const seed = retrySeed(failedRun().state);
    expect(seed).toEqual({
      pc: 2,
      fromStep: "summarize",
      outputs: {
        fetch: { output: { status: 200, url: "https://example.com/data" } },
        pick: { output: { status: 200 } },
      },
      last: { status: 200 },
    });
  });

  it("a seeded run starts at the failed step, reuses the earlier outputs and completes", async () => {
    const seed = retrySeed(failedRun().state);
    if (!seed) throw new Error("no seed");
    const retry = Scenario.start(flow, { input: { q: 1 }, seed });
    // The first thing the retry does is the failed step; fetch never runs again.
    expect(retry.enqueued().map((e) => e.stepId)).toEqual(["summarize"]);
    const first = retry.enqueued()[0];
    expect(first?.resolved).toMatchObject({ kind: "llm", prompt: "status 200" });
    expect(retry.state.reused).toEqual(["fetch", "pick"]);
    expect(retry.emitted("run.state")[0]).toMatchObject({
      state: "started",
      retry_from: "summarize",
      reused: ["fetch", "pick"],
    });
    retry.succeed("summarize", "all good");
    expect(retry.state.status).toBe("completed");
    expect(retry.replies).toEqual(["all good / https://example.com/data"]);
    expect(retry.state.usage.steps).toBe(2);
  });

  it("retries the step that was in flight when the run was cancelled", () => {
    const run = Scenario.start(flow);
    run.send({ type: "cancelRequested", source: "api" });
    expect(retrySeed(run.state)).toMatchObject({ pc: 0, fromStep: "fetch", outputs: {} });
  });

  it("has nothing to retry for a completed or running run", async () => {
    const running = Scenario.start(flow);
    expect(retrySeed(running.state)).toBeNull();
    await running.runToEnd();
    expect(running.state.status).toBe("completed");
    expect(retrySeed(running.state)).toBeNull();
  });

  it("never mutates the failed run's state", () => {
    const run = failedRun();
    const before = structuredClone(run.state);
    const seed = retrySeed(run.state);
    if (seed) seed.outputs.fetch = { output: "changed" };
    expect(run.state).toEqual(before);
  });
});
