import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/core/duration.ts";
import { parseWorkflow, WorkflowSchema } from "../../src/engine/workflow-schema.ts";

const issuesOf = (workflow: unknown) => {
  const result = parseWorkflow(workflow, "workflows.triage");
  return result.ok ? [] : result.issues;
};

describe("workflow schema", () => {
  it("parses every step kind and fills defaults", () => {
    const workflow = WorkflowSchema.parse({
      id: "all",
      limits: { maxTokens: 1000, maxDurationMs: "5m" },
      steps: [
        { id: "ask", kind: "llm", model: "ollama:llama3.2", prompt: "hi", timeout: "30s" },
        { id: "call", kind: "http", url: "https://x.test", retry: { maxAttempts: 5 } },
        { id: "calc", kind: "transform", set: { n: "1 + 1" } },
        { id: "go", kind: "branch", cases: [{ when: "true", goto: "rest" }], default: "rest" },
        {
          id: "each",
          kind: "loop",
          forEach: "[1]",
          maxIterations: 5,
          steps: [{ id: "r1", kind: "reply", text: "x" }],
        },
        {
          id: "fan",
          kind: "parallel",
          forEach: "[1]",
          concurrency: 2,
          steps: [{ id: "r2", kind: "reply", text: "y" }],
        },
        {
          id: "two",
          kind: "parallel",
          branches: { a: [{ id: "r3", kind: "reply", text: "a" }] },
          failFast: true,
        },
        { id: "approve", kind: "wait", schema: { type: "object" }, timeout: "1h", onTimeout: "rest" },
        { id: "nap", kind: "delay", duration: "500ms" },
        { id: "rest", kind: "reply", text: "done" },
      ],
    });
    expect(workflow.limits?.maxDurationMs).toBe(300_000);
    expect(workflow.steps[0]).toMatchObject({
      timeout: 30_000,
      stream: false,
      retry: { maxAttempts: 3, jitter: 0.2 },
    });
    expect(workflow.steps[1]).toMatchObject({
      method: "GET",
      timeout: 30_000,
      retry: { maxAttempts: 5, backoff: { initialMs: 1_000 } },
    });
    expect(workflow.steps[5]).toMatchObject({ concurrency: 2, failFast: false });
    expect(WorkflowSchema.parse(workflow)).toEqual(workflow);
  });

  it("points a goto to a missing step at its path", () => {
    const issues = issuesOf({
      id: "triage",
      steps: [
        { id: "a", kind: "transform", set: { x: "1" } },
        { id: "b", kind: "transform", set: { x: "1" } },
        { id: "c", kind: "transform", set: { x: "1" } },
        { id: "route", kind: "branch", cases: [{ when: "true", goto: "reply" }] },
        { id: "d", kind: "reply", text: "x" },
      ],
    });
    expect(issues).toEqual([
      {
        path: "workflows.triage.steps[3].cases[0].goto",
        message: 'no step "reply" in this step list (a, b, c, route, d)',
      },
    ]);
  });

  it("rejects a backward jump, which could loop forever", () => {
    const issues = issuesOf({
      id: "triage",
      steps: [
        { id: "a", kind: "reply", text: "x" },
        { id: "route", kind: "branch", cases: [{ when: "true", goto: "a" }], default: "route" },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual([
      "workflows.triage.steps[1].cases[0].goto",
      "workflows.triage.steps[1].default",
    ]);
    expect(issues[0]?.message).toMatch(/use a loop step/);
  });

  it("checks onTimeout targets and that onTimeout has a timeout", () => {
    const issues = issuesOf({
      id: "triage",
      steps: [
        { id: "w1", kind: "wait", timeout: "1m", onTimeout: "nope" },
        { id: "w2", kind: "wait", onTimeout: "end" },
        { id: "end", kind: "reply", text: "x" },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual([
      "workflows.triage.steps[1].onTimeout",
      "workflows.triage.steps[0].onTimeout",
    ]);
  });

  it("reports duplicate step ids anywhere in the tree", () => {
    const issues = issuesOf({
      id: "triage",
      steps: [
        { id: "x", kind: "reply", text: "a" },
        {
          id: "each",
          kind: "loop",
          until: "true",
          maxIterations: 2,
          steps: [{ id: "x", kind: "reply", text: "b" }],
        },
      ],
    });
    expect(issues).toEqual([
      {
        path: "workflows.triage.steps[1].steps[0].id",
        message: 'duplicate step id "x" (first used at steps[0])',
      },
    ]);
  });

  it("reports a goto that leaves its own step list", () => {
    const issues = issuesOf({
      id: "triage",
      steps: [
        {
          id: "fan",
          kind: "parallel",
          branches: { left: [{ id: "b", kind: "branch", cases: [{ when: "true", goto: "out" }] }] },
        },
        { id: "out", kind: "reply", text: "x" },
      ],
    });
    expect(issues[0]?.path).toBe("workflows.triage.steps[0].branches.left[0].cases[0].goto");
  });

  it("reports expression and template syntax errors with paths", () => {
    const issues = issuesOf({
      id: "triage",
      steps: [
        { id: "t", kind: "transform", set: { total: "input.n +" } },
        { id: "r", kind: "reply", text: "Hi {{ input.name" },
        { id: "h", kind: "http", url: "https://x.test", body: { items: ["{{ ) }}"] } },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual([
      "workflows.triage.steps[0].set.total",
      "workflows.triage.steps[1].text",
      "workflows.triage.steps[2].body.items[0]",
    ]);
  });

  it("requires exactly one of forEach or until on a loop", () => {
    const base = { id: "l", kind: "loop", maxIterations: 2, steps: [{ id: "r", kind: "reply", text: "x" }] };
    expect(issuesOf({ id: "triage", steps: [base] })[0]?.message).toMatch(/exactly one of forEach or until/);
    expect(issuesOf({ id: "triage", steps: [{ ...base, forEach: "[]", until: "true" }] })).toHaveLength(1);
  });

  it("requires branches or forEach with steps on a parallel step", () => {
    const issues = issuesOf({ id: "triage", steps: [{ id: "p", kind: "parallel", forEach: "[1]" }] });
    expect(issues).toEqual([{ path: "workflows.triage.steps[0].steps", message: "forEach needs steps" }]);
  });

  it("requires maxIterations on a loop", () => {
    const issues = issuesOf({
      id: "triage",
      steps: [{ id: "l", kind: "loop", until: "true", steps: [{ id: "r", kind: "reply", text: "x" }] }],
    });
    expect(issues[0]?.path).toBe("workflows.triage.steps[0].maxIterations");
  });

  it("names the allowed kinds for an unknown kind", () => {
    expect(issuesOf({ id: "triage", steps: [{ id: "s", kind: "email" }] })[0]).toEqual({
      path: "workflows.triage.steps[0].kind",
      message: expect.stringContaining("llm, http, transform"),
    });
  });

  it("rejects unknown keys so a typo is not silently ignored", () => {
    const issues = issuesOf({
      id: "triage",
      steps: [{ id: "s", kind: "llm", model: "echo", promt: "hi", prompt: "x" }],
    });
    expect(issues[0]?.path).toBe("workflows.triage.steps[0]");
    expect(issues[0]?.message).toMatch(/promt/);
  });

  it("rejects step ids that expressions cannot address", () => {
    const issues = issuesOf({ id: "triage", steps: [{ id: "send-reply", kind: "reply", text: "x" }] });
    expect(issues[0]?.path).toBe("workflows.triage.steps[0].id");
  });

  it("reports an unsupported wait schema", () => {
    const issues = issuesOf({ id: "triage", steps: [{ id: "w", kind: "wait", schema: { type: "weird" } }] });
    expect(issues[0]?.path).toBe("workflows.triage.steps[0].schema");
  });
});

describe("durations", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1.5s", 1_500],
    [250, 250],
  ])("parses %s", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it("rejects other forms", () => {
    expect(parseDuration("5 minutes")).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(
      issuesOf({ id: "triage", steps: [{ id: "d", kind: "delay", duration: "soon" }] })[0]?.message,
    ).toMatch(/"30s"/);
  });
});
