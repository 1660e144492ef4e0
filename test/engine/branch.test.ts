import { describe, expect, it } from "vitest";
import type { WorkflowInput } from "../../src/engine/workflow-schema.ts";
import { Scenario } from "./driver.ts";

const triage: WorkflowInput = {
  id: "triage",
  steps: [
    { id: "classify", kind: "llm", model: "echo", prompt: "Classify: {{ input.text }}" },
    {
      id: "route",
      kind: "branch",
      cases: [{ when: "steps.classify.output.contains('refund')", goto: "refund" }],
      default: "thanks",
    },
    { id: "refund", kind: "reply", text: "A human will look at your refund." },
    { id: "done", kind: "branch", cases: [{ when: "true", goto: "end" }] },
    { id: "thanks", kind: "reply", text: "Thanks, {{ input.name }}!" },
    { id: "end", kind: "transform", set: { routed: "steps.route.output.goto" } },
  ],
};

describe("branch", () => {
  it("takes the first matching case", async () => {
    const run = Scenario.start(triage, { input: { text: "I want a refund", name: "Ada" } });
    const finish = await run.runToEnd();
    expect(run.replies).toEqual(["A human will look at your refund."]);
    expect(finish).toMatchObject({ status: "completed", output: { routed: "refund" } });
  });

  it("falls to the default when no case matches", async () => {
    const run = Scenario.start(triage, { input: { text: "great service", name: "Ada" } });
    const finish = await run.runToEnd();
    expect(run.replies).toEqual(["Thanks, Ada!"]);
    expect(finish.output).toEqual({ routed: "thanks" });
  });

  it("continues with the next step when nothing matches and there is no default", async () => {
    const run = Scenario.start(
      {
        id: "w",
        steps: [
          { id: "b", kind: "branch", cases: [{ when: "input.n > 10", goto: "big" }] },
          { id: "small", kind: "reply", text: "small" },
          { id: "big", kind: "reply", text: "big" },
        ],
      },
      { input: { n: 3 } },
    );
    await run.runToEnd();
    expect(run.replies).toEqual(["small", "big"]);
  });

  it("runs a chain of pure steps in a single transition", () => {
    const steps = Array.from({ length: 50 }, (_, i) => ({
      id: `t${i}`,
      kind: "transform" as const,
      set: { n: i === 0 ? "1" : `steps.t${i - 1}.output.n + 1` },
    }));
    const run = Scenario.start({ id: "chain", steps });
    expect(run.finished).toMatchObject({ status: "completed", output: { n: 50 } });
    expect(run.state.usage.steps).toBe(50);
  });

  it("fails the run when a case is not a boolean", async () => {
    const run = Scenario.start(
      {
        id: "w",
        steps: [
          { id: "b", kind: "branch", cases: [{ when: "input.n", goto: "x" }] },
          { id: "x", kind: "reply", text: "x" },
        ],
      },
      { input: { n: 1 } },
    );
    expect(run.finished).toMatchObject({
      status: "failed",
      error: { stepId: "b", message: expect.stringContaining("boolean") },
    });
  });
});
