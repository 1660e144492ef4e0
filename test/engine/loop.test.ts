import { describe, expect, it } from "vitest";
import { Scenario } from "./driver.ts";

describe("loop forEach", () => {
  it("runs the body once per item, in order, with item and index", async () => {
    const run = Scenario.start(
      {
        id: "w",
        steps: [
          {
            id: "each",
            kind: "loop",
            forEach: "input.names",
            maxIterations: 10,
            steps: [
              { id: "greet", kind: "llm", model: "echo", prompt: "{{ index }}:{{ item }}" },
              { id: "shout", kind: "transform", set: { text: "steps.greet.output.upperAscii()" } },
            ],
          },
        ],
      },
      { input: { names: ["ada", "bob", "cy"] } },
    );
    const finish = await run.runToEnd();
    expect(run.enqueued().map((e) => e.attemptId)).toEqual([
      "each[0]/greet#1",
      "each[1]/greet#1",
      "each[2]/greet#1",
    ]);
    expect(finish.output).toEqual([{ text: "ECHO: 0:ADA" }, { text: "ECHO: 1:BOB" }, { text: "ECHO: 2:CY" }]);
  });

  it("completes at once over an empty list", () => {
    const run = Scenario.start({
      id: "w",
      steps: [
        {
          id: "each",
          kind: "loop",
          forEach: "[]",
          maxIterations: 3,
          steps: [{ id: "r", kind: "reply", text: "x" }],
        },
      ],
    });
    expect(run.finished).toMatchObject({ status: "completed", output: [] });
  });

  it("fails before any work when the list is longer than maxIterations", () => {
    const run = Scenario.start(
      {
        id: "w",
        steps: [
          {
            id: "each",
            kind: "loop",
            forEach: "input.xs",
            maxIterations: 2,
            steps: [{ id: "r", kind: "reply", text: "x" }],
          },
        ],
      },
      { input: { xs: [1, 2, 3] } },
    );
    expect(run.replies).toEqual([]);
    expect(run.finished).toMatchObject({
      status: "failed",
      error: { message: expect.stringContaining("maxIterations 2") },
    });
  });

  it("fails when forEach is not a list", () => {
    const run = Scenario.start(
      {
        id: "w",
        steps: [
          {
            id: "each",
            kind: "loop",
            forEach: "input",
            maxIterations: 2,
            steps: [{ id: "r", kind: "reply", text: "x" }],
          },
        ],
      },
      { input: { a: 1 } },
    );
    expect(run.finished?.error?.message).toMatch(/must be a list, got object/);
  });
});

describe("loop until", () => {
  const refine = (maxIterations: number) => ({
    id: "w",
    steps: [
      {
        id: "refine",
        kind: "loop" as const,
        until: "steps.check.output.score >= 3",
        maxIterations,
        steps: [{ id: "check", kind: "transform" as const, set: { score: "index + 1" } }],
      },
      { id: "after", kind: "reply" as const, text: "capped={{ steps.refine.capped }}" },
    ],
  });

  it("repeats until the condition holds", () => {
    const run = Scenario.start(refine(10));
    expect(run.finished).toMatchObject({ status: "completed" });
    expect(run.state.threads[""]?.outputs.refine).toEqual({
      output: [{ score: 1 }, { score: 2 }, { score: 3 }],
      capped: false,
    });
    expect(run.replies).toEqual(["capped=false"]);
  });

  it("stops at its maxIterations cap and marks the loop capped", () => {
    const run = Scenario.start(refine(2));
    expect(run.state.threads[""]?.outputs.refine).toEqual({
      output: [{ score: 1 }, { score: 2 }],
      capped: true,
    });
    expect(run.emitted("step.finish").find((f) => f.step_id === "refine")).toMatchObject({ capped: true });
    expect(run.replies).toEqual(["capped=true"]);
    expect(run.finished?.status).toBe("completed");
  });

  it("gives each iteration its own attempt ids so an old iteration's result is ignored", () => {
    const run = Scenario.start({
      id: "w",
      steps: [
        {
          id: "poll",
          kind: "loop",
          until: "steps.ask.output == 'done'",
          maxIterations: 5,
          steps: [{ id: "ask", kind: "http", url: "https://example.com/status" }],
        },
      ],
    });
    run.succeed("poll[0]/ask#1", "pending");
    run.send({
      type: "stepSucceeded",
      stepId: "ask",
      attempt: 1,
      attemptId: "poll[0]/ask#1",
      output: "done",
    });
    expect(run.state.ignoredResults).toBe(1);
    run.succeed("poll[1]/ask#1", "done");
    expect(run.finished).toMatchObject({ status: "completed", output: ["pending", "done"] });
  });
});
