import { describe, expect, it } from "vitest";
import type { WorkflowInput } from "../../src/engine/workflow-schema.ts";
import { Scenario } from "./driver.ts";

const fanout = (opts: { concurrency?: number; failFast?: boolean } = {}): WorkflowInput => ({
  id: "w",
  steps: [
    {
      id: "fan",
      kind: "parallel",
      forEach: "input.urls",
      ...opts,
      steps: [{ id: "get", kind: "http", url: "{{ item }}" }],
    },
    { id: "after", kind: "transform", set: { count: "size(steps.fan.output)" } },
  ],
});
const urls = ["https://a.test", "https://b.test", "https://c.test", "https://d.test"];

describe("parallel forEach", () => {
  it("keeps parallel outputs in input order when lanes finish out of order", () => {
    const run = Scenario.start(fanout(), { input: { urls } });
    expect(run.enqueued().map((e) => e.attemptId)).toEqual([
      "fan[0]/get#1",
      "fan[1]/get#1",
      "fan[2]/get#1",
      "fan[3]/get#1",
    ]);
    for (const lane of [2, 0, 3, 1]) run.succeed(`fan[${lane}]/get#1`, `body ${lane}`);
    expect(run.state.threads[""]?.outputs.fan?.output).toEqual(["body 0", "body 1", "body 2", "body 3"]);
    expect(run.finished).toMatchObject({ status: "completed", output: { count: 4 } });
  });

  it("runs at most `concurrency` lanes at once", () => {
    const run = Scenario.start(fanout({ concurrency: 2 }), { input: { urls } });
    expect([...run.pending.keys()]).toEqual(["fan[0]/get#1", "fan[1]/get#1"]);
    run.succeed("fan[1]/get#1", "b");
    expect([...run.pending.keys()]).toEqual(["fan[0]/get#1", "fan[2]/get#1"]);
    run.succeed("fan[2]/get#1", "c");
    run.succeed("fan[0]/get#1", "a");
    run.succeed("fan[3]/get#1", "d");
    expect(run.state.threads[""]?.outputs.fan?.output).toEqual(["a", "b", "c", "d"]);
  });

  it("joins 100 lanes in order", () => {
    const many = Array.from({ length: 100 }, (_, i) => `https://x.test/${i}`);
    const run = Scenario.start(fanout({ concurrency: 100 }), { input: { urls: many } });
    for (const id of [...run.pending.keys()].reverse()) run.succeed(id, id);
    const output = run.state.threads[""]?.outputs.fan?.output;
    expect(output).toEqual(many.map((_, i) => `fan[${i}]/get#1`));
  });

  it("without failFast lets every lane finish, then fails with each failure listed", () => {
    const run = Scenario.start(fanout(), { input: { urls } });
    run.fail("fan[1]/get#1", { message: "HTTP 404", retriable: false, status: 404 });
    expect(run.finished).toBeUndefined();
    expect(run.pending.size).toBe(3);
    for (const lane of [0, 2, 3]) run.succeed(`fan[${lane}]/get#1`, "ok");
    expect(run.finished).toMatchObject({ status: "failed", error: { stepId: "fan" } });
    expect(run.finished?.error?.message).toMatch(
      /1 of 4 lanes failed: \[1\] get failed \(not retriable\): HTTP 404/,
    );
  });

  it("with failFast fails at the first failure and aborts the other lanes", () => {
    const run = Scenario.start(fanout({ failFast: true }), { input: { urls } });
    run.succeed("fan[0]/get#1", "ok");
    run.fail("fan[2]/get#1", { message: "HTTP 400", retriable: false, status: 400 });
    expect(run.finished).toMatchObject({
      status: "failed",
      error: { message: expect.stringContaining("fan[2]") },
    });
    expect(run.aborted.sort()).toEqual(["fan[1]/get#1", "fan[3]/get#1"]);
    const late = run.send({
      type: "stepSucceeded",
      stepId: "get",
      attempt: 1,
      attemptId: "fan[1]/get#1",
      output: "late",
    });
    expect(late).toEqual([]);
    expect(run.state.ignoredResults).toBe(1);
  });
});

describe("parallel branches", () => {
  it("runs named branches together and joins them by name in definition order", async () => {
    const run = Scenario.start({
      id: "w",
      steps: [
        {
          id: "both",
          kind: "parallel",
          branches: {
            summary: [{ id: "sum", kind: "llm", model: "echo", prompt: "summarize" }],
            tags: [
              { id: "tag", kind: "llm", model: "echo", prompt: "tag" },
              { id: "split", kind: "transform", set: { tags: "steps.tag.output.split(' ')" } },
            ],
          },
        },
      ],
    });
    expect(run.enqueued().map((e) => e.attemptId)).toEqual(["both.summary/sum#1", "both.tags/tag#1"]);
    run.succeed("both.tags/tag#1", "a b");
    run.succeed("both.summary/sum#1", "short");
    expect(run.finished?.output).toEqual({ summary: "short", tags: { tags: ["a", "b"] } });
    expect(Object.keys(run.finished?.output as object)).toEqual(["summary", "tags"]);
  });
});
