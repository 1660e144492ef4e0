import { describe, expect, it } from "vitest";
import { checkResume } from "../../src/engine/resume.ts";
import type { WorkflowInput } from "../../src/engine/workflow-schema.ts";
import { Scenario } from "./driver.ts";

const approval = (onTimeout?: string): WorkflowInput => ({
  id: "approval",
  steps: [
    {
      id: "approve",
      kind: "wait",
      prompt: "Refund {{ input.amount }}?",
      schema: { type: "object", properties: { approved: { type: "boolean" } }, required: ["approved"] },
      timeout: "1h",
      ...(onTimeout && { onTimeout }),
    },
    { id: "decide", kind: "reply", text: "approved={{ steps.approve.output.approved }}" },
    { id: "expired", kind: "reply", text: "no answer" },
  ],
});

describe("wait", () => {
  it("pauses the run until resumed, then continues with the resume body as output", () => {
    const run = Scenario.start(approval(), { input: { amount: 40 } });
    expect(run.state.status).toBe("waiting");
    expect(run.emitted("run.state").at(-1)).toMatchObject({
      state: "waiting",
      wait: { wait_id: "approve", prompt: "Refund 40?", timeout_at: run.now + 3_600_000 },
    });
    run.tick(5_000);
    const effects = run.send({ type: "resumed", input: { approved: true } });
    expect(effects).toContainEqual({ type: "cancelTimer", timerId: "approve:wait" });
    expect(run.replies).toEqual(["approved=true", "no answer"]);
    expect(run.finished?.status).toBe("completed");
  });

  it("rejects a resume body that does not match the wait schema", () => {
    const run = Scenario.start(approval(), { input: { amount: 40 } });
    expect(checkResume(run.state, { input: { approved: "yes" } })).toMatchObject({
      ok: false,
      reason: "invalid_input",
    });
    run.send({ type: "resumed", input: { approved: "yes" } });
    expect(run.state.status).toBe("waiting");
    expect(run.state.ignoredEvents).toBe(1);
  });

  it("says why a resume cannot apply", () => {
    const run = Scenario.start(approval(), { input: { amount: 40 } });
    expect(checkResume(run.state, { waitId: "other", input: {} })).toMatchObject({
      ok: false,
      reason: "unknown_wait",
    });
    expect(checkResume(run.state, { input: { approved: false } })).toEqual({
      ok: true,
      waitId: "approve",
      stepId: "approve",
    });
    run.send({ type: "cancelRequested", source: "api" });
    expect(checkResume(run.state, { input: { approved: false } })).toMatchObject({
      ok: false,
      reason: "finished",
    });
  });

  it("takes the onTimeout path when nobody answers in time", () => {
    const run = Scenario.start(approval("expired"), { input: { amount: 40 } });
    run.fire("approve:wait");
    expect(run.now).toBe(1_000_000 + 3_600_000);
    expect(run.replies).toEqual(["no answer"]);
    expect(run.state.threads[""]?.outputs.approve).toEqual({ output: null, timedOut: true });
    expect(run.emitted("step.finish").find((f) => f.step_id === "approve")).toMatchObject({
      status: "timed_out",
    });
  });

  it("fails the run on a timeout without an onTimeout path", () => {
    const run = Scenario.start(approval(), { input: { amount: 40 } });
    run.fire("approve:wait");
    expect(run.finished).toMatchObject({
      status: "failed",
      error: { stepId: "approve", message: expect.stringContaining("no input") },
    });
  });

  it("ignores a resume that arrives after the timeout", () => {
    const run = Scenario.start(approval("expired"), { input: { amount: 40 } });
    run.fire("approve:wait");
    run.send({ type: "resumed", input: { approved: true } });
    expect(run.replies).toEqual(["no answer"]);
    expect(run.state.ignoredEvents).toBe(1);
  });
});

describe("delay", () => {
  it("sets a timer for the duration and continues when it fires", () => {
    const run = Scenario.start({
      id: "w",
      steps: [
        { id: "pause", kind: "delay", duration: "30s" },
        { id: "ping", kind: "reply", text: "later" },
      ],
    });
    expect([...run.timers.values()]).toEqual([
      { type: "setTimer", timerId: "pause:delay", at: 1_030_000, purpose: "delay" },
    ]);
    expect(run.replies).toEqual([]);
    run.fire("pause:delay");
    expect(run.replies).toEqual(["later"]);
    expect(run.emitted("step.finish").find((f) => f.step_id === "pause")).toMatchObject({
      latency_ms: 30_000,
    });
  });

  it("ignores a delay timer that fires twice", () => {
    const run = Scenario.start({
      id: "w",
      steps: [
        { id: "pause", kind: "delay", duration: 100 },
        { id: "wait", kind: "wait" },
      ],
    });
    run.fire("pause:delay");
    expect(run.send({ type: "timerFired", timerId: "pause:delay" })).toEqual([]);
    expect(run.state.ignoredEvents).toBe(1);
  });
});
