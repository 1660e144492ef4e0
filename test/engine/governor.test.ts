import { describe, expect, it } from "vitest";
import { checkLimits, costOf, EMPTY_USAGE } from "../../src/engine/governor.ts";
import type { WorkflowInput } from "../../src/engine/workflow-schema.ts";
import { mockLlm, Scenario } from "./driver.ts";

const chat = (limits: WorkflowInput["limits"]): WorkflowInput => ({
  id: "w",
  limits,
  steps: [
    { id: "a", kind: "llm", model: "openai:gpt-4o-mini", prompt: "one" },
    { id: "b", kind: "llm", model: "openai:gpt-4o-mini", prompt: "two" },
    { id: "c", kind: "llm", model: "openai:gpt-4o-mini", prompt: "three" },
  ],
});
const prices = { "openai:gpt-4o-mini": { inputPer1M: 0.15, outputPer1M: 0.6 } };

describe("usage governor", () => {
  it("ends the run with governor_breached once the token budget is used, keeping the usage", async () => {
    const run = Scenario.start(chat({ maxTokens: 250 }), { prices });
    const finish = await run.runToEnd(mockLlm(undefined, { input: 100, output: 50 }));
    expect(run.enqueued().map((e) => e.stepId)).toEqual(["a", "b"]);
    expect(finish).toMatchObject({
      status: "governor_breached",
      usage: { inputTokens: 200, outputTokens: 100, steps: 2 },
    });
    expect(run.state.usage.costUsd).toBeCloseTo((200 * 0.15 + 100 * 0.6) / 1e6, 12);
    expect(run.emitted("governor.breached")).toEqual([
      expect.objectContaining({
        limit: "maxTokens",
        max: 250,
        value: 300,
        usage: expect.objectContaining({ input_tokens: 200 }),
      }),
    ]);
  });

  it("stops before the step that would exceed maxSteps", async () => {
    const run = Scenario.start(chat({ maxSteps: 2 }));
    const finish = await run.runToEnd();
    expect(run.enqueued()).toHaveLength(2);
    expect(finish).toMatchObject({ status: "governor_breached", usage: { steps: 2, inputTokens: 20 } });
    expect(run.state.status).toBe("governor_breached");
  });

  it("counts cost from the price table", async () => {
    const run = Scenario.start(chat({ maxCostUsd: 0.0001 }), { prices });
    const finish = await run.runToEnd(mockLlm(undefined, { input: 200, output: 100 }));
    expect(finish.status).toBe("governor_breached");
    expect(run.emitted("governor.breached")[0]?.limit).toBe("maxCostUsd");
  });

  it("checks wall time from the events' clock", () => {
    const run = Scenario.start(chat({ maxDurationMs: "1m" }));
    run.tick(61_000);
    run.succeed("a", "ok");
    expect(run.finished).toMatchObject({
      status: "governor_breached",
      error: { message: expect.stringContaining("maxDurationMs") },
    });
  });

  it("checks the budget again before a retry attempt", () => {
    const run = Scenario.start(chat({ maxDurationMs: 5_000 }));
    run.fail("a", { message: "503", retriable: true });
    run.tick(10_000);
    run.fire("a#1:retry");
    expect(run.finished?.status).toBe("governor_breached");
    expect(run.enqueued()).toHaveLength(1);
  });

  it("counts tokens a failed attempt still used", () => {
    const run = Scenario.start(chat({ maxTokens: 100 }), { prices });
    run.send({
      type: "stepFailed",
      stepId: "a",
      attempt: 1,
      attemptId: "a#1",
      error: { message: "stream cut", retriable: true },
      usage: { inputTokens: 80, outputTokens: 40 },
    });
    run.fire("a#1:retry");
    expect(run.finished).toMatchObject({
      status: "governor_breached",
      usage: { inputTokens: 80, outputTokens: 40 },
    });
  });

  it("prices unknown models at zero and prefers a reported cost", () => {
    expect(costOf("echo", { inputTokens: 1e6, outputTokens: 1e6 }, prices)).toBe(0);
    expect(costOf("openai:gpt-4o-mini", { inputTokens: 1e6, outputTokens: 0, costUsd: 9 }, prices)).toBe(9);
  });

  it("has no limits unless the workflow sets them", () => {
    expect(checkLimits(undefined, { ...EMPTY_USAGE, steps: 1e6 }, 0, 1e12, true)).toBeUndefined();
  });
});
