import { describe, expect, it } from "vitest";
import { advance } from "../../src/engine/advance.ts";
import { RunStateSchema } from "../../src/engine/state.ts";
import type { WorkflowInput } from "../../src/engine/workflow-schema.ts";
import { Scenario } from "./driver.ts";

const twoSteps: WorkflowInput = {
  id: "w",
  steps: [
    { id: "draft", kind: "llm", model: "echo", prompt: "draft", retry: { maxAttempts: 3, jitter: 0 } },
    {
      id: "send",
      kind: "http",
      method: "POST",
      url: "https://hook.test",
      body: { text: "{{ steps.draft.output }}" },
    },
  ],
};

describe("exactly-once application of step attempts", () => {
  it("applies a redelivered success once and counts the repeat", () => {
    const run = Scenario.start(twoSteps);
    const result = {
      type: "stepSucceeded",
      stepId: "draft",
      attempt: 1,
      attemptId: "draft#1",
      output: "hello",
    } as const;
    run.send(result);
    expect(run.send(result)).toEqual([]);
    expect(run.enqueued().map((e) => e.attemptId)).toEqual(["draft#1", "send#1"]);
    expect(run.state.ignoredResults).toBe(1);
  });

  it("ignores an old attempt's result that arrives after a retry started", () => {
    const run = Scenario.start(twoSteps);
    run.fire("draft#1:timeout");
    run.fire("draft#1:retry");
    const stale = run.send({
      type: "stepSucceeded",
      stepId: "draft",
      attempt: 1,
      attemptId: "draft#1",
      output: "late",
    });
    expect(stale).toEqual([]);
    run.succeed("draft#2", "fresh");
    expect(run.attempt("send").resolved).toMatchObject({ body: { text: "fresh" } });
    expect(run.state.ignoredResults).toBe(1);
  });

  it("ignores a failure for an attempt that already succeeded", () => {
    const run = Scenario.start(twoSteps);
    run.succeed("draft", "ok");
    run.send({
      type: "stepFailed",
      stepId: "draft",
      attempt: 1,
      attemptId: "draft#1",
      error: { message: "x", retriable: true },
    });
    expect(run.state.ignoredResults).toBe(1);
    expect(run.state.status).toBe("running");
  });

  it("ignores a result whose step or attempt does not match its attempt id", () => {
    const run = Scenario.start(twoSteps);
    run.send({ type: "stepSucceeded", stepId: "send", attempt: 1, attemptId: "draft#1", output: "x" });
    expect(run.state.ignoredResults).toBe(1);
    expect(run.pending.has("draft#1")).toBe(true);
  });

  it("never mutates the state it is given", () => {
    const run = Scenario.start(twoSteps);
    const before = structuredClone(run.state);
    const frozen = run.state;
    advance(frozen, {
      type: "stepSucceeded",
      stepId: "draft",
      attempt: 1,
      attemptId: "draft#1",
      output: "x",
      now: 5,
    });
    expect(frozen).toEqual(before);
  });

  it("keeps state JSON-safe so it survives storage and a restart", async () => {
    const run = Scenario.start(twoSteps);
    const stored = JSON.parse(JSON.stringify(run.state));
    run.state = RunStateSchema.parse(stored);
    const finish = await run.runToEnd();
    expect(finish.status).toBe("completed");
    expect(JSON.parse(JSON.stringify(run.state))).toEqual(run.state);
  });

  it("ignores a second start", () => {
    const run = Scenario.start(twoSteps);
    const again = advance(run.state, {
      type: "start",
      runId: "run_test",
      workflow: run.state.workflow,
      input: null,
      event: null,
      prices: {},
      now: 1,
    });
    expect(again.effects).toEqual([]);
    expect(again.state.ignoredEvents).toBe(1);
  });

  it("refuses any event but start for a run that does not exist", () => {
    expect(() => advance(null, { type: "timerFired", timerId: "x", now: 0 })).toThrow(
      /must begin with "start"/,
    );
  });
});
