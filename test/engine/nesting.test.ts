import { describe, expect, it } from "vitest";
import type { WorkflowInput } from "../../src/engine/workflow-schema.ts";
import { mockLlm, Scenario } from "./driver.ts";

const nested: WorkflowInput = {
  id: "w",
  steps: [
    {
      id: "fan",
      kind: "parallel",
      forEach: "input.docs",
      steps: [
        {
          id: "pages",
          kind: "loop",
          forEach: "item.pages",
          maxIterations: 5,
          steps: [{ id: "read", kind: "llm", model: "echo", prompt: "{{ item }}" }],
        },
        { id: "joined", kind: "transform", set: { text: "steps.pages.output.join(' ')" } },
      ],
    },
  ],
};

describe("nested loops and parallel steps", () => {
  it("names attempts by their full path and scopes item to the innermost loop", async () => {
    const run = Scenario.start(nested, { input: { docs: [{ pages: ["a", "b"] }, { pages: ["c"] }] } });
    const finish = await run.runToEnd(mockLlm((p) => p.toUpperCase()));
    expect(run.enqueued().map((e) => e.attemptId)).toEqual([
      "fan[0]/pages[0]/read#1",
      "fan[1]/pages[0]/read#1",
      "fan[0]/pages[1]/read#1",
    ]);
    expect(finish.output).toEqual([{ text: "A B" }, { text: "C" }]);
  });

  it("removes finished child threads so state stays small", async () => {
    const run = Scenario.start(nested, { input: { docs: [{ pages: ["a"] }, { pages: ["b"] }] } });
    await run.runToEnd();
    expect(Object.keys(run.state.threads)).toEqual([""]);
  });

  it("fails the run with the inner step and the path in the reason", () => {
    const run = Scenario.start(nested, { input: { docs: [{ pages: ["a"] }] } });
    run.fail("fan[0]/pages[0]/read#1", { message: "model overloaded", retriable: false });
    expect(run.finished?.error?.message).toBe(
      "fan: 1 of 1 lanes failed: [0] pages[0]: read failed (not retriable): model overloaded",
    );
  });
});

describe("waits in parallel lanes", () => {
  const reviews: WorkflowInput = {
    id: "w",
    steps: [
      {
        id: "both",
        kind: "parallel",
        branches: {
          human: [{ id: "approve", kind: "wait" }],
          bot: [{ id: "check", kind: "http", url: "https://check.test" }],
        },
      },
    ],
  };

  it("is running while a lane works and waiting once only waits remain", () => {
    const run = Scenario.start(reviews);
    expect(run.state.status).toBe("running");
    run.succeed("check", { ok: true });
    expect(run.state.status).toBe("waiting");
    run.send({ type: "resumed", stepId: "approve", input: "yes" });
    expect(run.finished?.output).toEqual({ human: "yes", bot: { ok: true } });
  });

  it("resumes by wait id", () => {
    const run = Scenario.start(reviews);
    run.send({ type: "resumed", waitId: "both.human/approve", input: "ok" });
    expect(run.state.threads["both.human"]).toBeUndefined();
  });
});

describe("step errors", () => {
  it("fails the run when an expression fails, naming the field", () => {
    const run = Scenario.start(
      { id: "w", steps: [{ id: "calc", kind: "transform", set: { total: "input.price * 2" } }] },
      { input: {} },
    );
    expect(run.finished?.error).toEqual({
      stepId: "calc",
      message: expect.stringMatching(/^calc: set\.total: .*price/),
    });
    expect(run.emitted("step.finish")).toEqual([
      expect.objectContaining({ step_id: "calc", status: "failed" }),
    ]);
  });

  it("fails an llm step whose prompt cannot render, without enqueueing it", () => {
    const run = Scenario.start(
      { id: "w", steps: [{ id: "ask", kind: "llm", model: "echo", prompt: "{{ input.q.text }}" }] },
      { input: {} },
    );
    expect(run.enqueued()).toEqual([]);
    expect(run.finished).toMatchObject({ status: "failed", error: { stepId: "ask", attemptId: "ask#1" } });
  });

  it("hands the worker the rendered request", () => {
    const run = Scenario.start(
      {
        id: "w",
        steps: [
          {
            id: "post",
            kind: "http",
            method: "POST",
            url: "https://api.test/users/{{ input.id }}",
            headers: { "x-run": "{{ run.id }}" },
            body: { ids: "{{ input.ids }}", note: "n={{ size(input.ids) }}" },
            timeout: "5s",
          },
        ],
      },
      { input: { id: 7, ids: [1, 2] } },
    );
    expect(run.attempt("post")).toEqual({
      type: "enqueueStep",
      stepId: "post",
      attempt: 1,
      attemptId: "post#1",
      kind: "http",
      deadlineMs: run.now + 5_000,
      resolved: {
        kind: "http",
        method: "POST",
        url: "https://api.test/users/7",
        headers: { "x-run": "run_test" },
        body: { ids: [1, 2], note: "n=2" },
        timeoutMs: 5_000,
      },
    });
  });
});
