import { describe, expect, it } from "vitest";
import type { WorkflowInput } from "../../src/engine/workflow-schema.ts";
import { Scenario } from "./driver.ts";

const flow: WorkflowInput = {
  id: "w",
  steps: [
    {
      id: "fan",
      kind: "parallel",
      forEach: "[1, 2]",
      steps: [{ id: "think", kind: "llm", model: "echo", prompt: "{{ item }}", stream: true }],
    },
    { id: "pause", kind: "delay", duration: "1m" },
    { id: "after", kind: "reply", text: "should never happen" },
  ],
};

describe("cancel", () => {
  it("aborts in-flight attempts, cancels their timers and finishes cancelled", () => {
    const run = Scenario.start(flow);
    run.tick(40);
    const effects = run.send({ type: "cancelRequested", source: "telegram:/stop" });
    expect(effects.filter((e) => e.type === "abortStep")).toEqual([
      { type: "abortStep", stepId: "think", attemptId: "fan[0]/think#1", reason: "cancelled" },
      { type: "abortStep", stepId: "think", attemptId: "fan[1]/think#1", reason: "cancelled" },
    ]);
    expect(run.timers.size).toBe(0);
    expect(run.emitted("run.cancel")).toEqual([{ source: "telegram:/stop", requested_at: 1_000_040 }]);
    expect(
      run
        .emitted("run.state")
        .map((s) => s.state)
        .slice(-2),
    ).toEqual(["cancel_requested", "cancelled"]);
    expect(run.finished).toMatchObject({ status: "cancelled" });
    expect(run.state.cancel).toEqual({ source: "telegram:/stop", requestedAt: 1_000_040 });
  });

  it("ignores in-flight results after the cancel and starts no new step", () => {
    const run = Scenario.start(flow);
    run.send({ type: "cancelRequested", source: "api" });
    const late = [
      run.send({
        type: "stepSucceeded",
        stepId: "think",
        attempt: 1,
        attemptId: "fan[0]/think#1",
        output: "a",
      }),
      run.send({
        type: "stepSucceeded",
        stepId: "think",
        attempt: 1,
        attemptId: "fan[1]/think#1",
        output: "b",
      }),
      run.send({ type: "timerFired", timerId: "fan[0]/think#1:timeout" }),
    ];
    expect(late).toEqual([[], [], []]);
    expect(run.state.ignoredResults).toBe(2);
    expect(run.enqueued()).toHaveLength(2);
    expect(run.replies).toEqual([]);
  });

  it("cancels a pending delay", () => {
    const run = Scenario.start(flow);
    run.succeed("fan[0]/think#1", "a");
    run.succeed("fan[1]/think#1", "b");
    expect(run.timers.has("pause:delay")).toBe(true);
    const effects = run.send({ type: "cancelRequested", source: "api" });
    expect(effects).toContainEqual({ type: "cancelTimer", timerId: "pause:delay" });
    expect(run.send({ type: "timerFired", timerId: "pause:delay" })).toEqual([]);
    expect(run.replies).toEqual([]);
  });

  it("is idempotent: a second cancel changes nothing", () => {
    const run = Scenario.start(flow);
    run.send({ type: "cancelRequested", source: "api" });
    expect(run.send({ type: "cancelRequested", source: "api" })).toEqual([]);
    expect(run.emitted("run.cancel")).toHaveLength(1);
  });
});
