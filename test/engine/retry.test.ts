import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  hashUnit,
  isRetriableStatus,
  planRetry,
  RetryPolicySchema,
} from "../../src/engine/retry.ts";
import type { WorkflowInput } from "../../src/engine/workflow-schema.ts";
import { Scenario } from "./driver.ts";

const fetchFlow = (retry: Record<string, unknown> = {}): WorkflowInput => ({
  id: "w",
  steps: [
    {
      id: "fetch",
      kind: "http",
      url: "https://api.test/x",
      retry: { maxAttempts: 3, backoff: { initialMs: 1_000, maxMs: 10_000, factor: 2 }, jitter: 0, ...retry },
    },
  ],
});

describe("retry in a run", () => {
  it("retries a retriable failure with exponential backoff, then fails the run with the reason", () => {
    const run = Scenario.start(fetchFlow());
    const start = run.now;
    run.fail("fetch", { message: "HTTP 503", retriable: true, status: 503 });
    expect(run.timers.get("fetch#1:retry")).toMatchObject({ at: start + 1_000, purpose: "retry" });
    run.fire("fetch#1:retry");
    expect(run.attempt("fetch").attemptId).toBe("fetch#2");
    run.fail("fetch", { message: "HTTP 503", retriable: true, status: 503 });
    expect(run.timers.get("fetch#2:retry")).toMatchObject({ at: start + 1_000 + 2_000 });
    run.fire("fetch#2:retry");
    run.fail("fetch", { message: "HTTP 502 bad gateway", retriable: true, status: 502 });
    expect(run.finished).toMatchObject({
      status: "failed",
      error: {
        stepId: "fetch",
        attemptId: "fetch#3",
        message: "fetch failed after 3 attempts: HTTP 502 bad gateway",
      },
    });
    expect(run.emitted("step.finish").map((f) => f.status)).toEqual(["retrying", "retrying", "failed"]);
    expect(run.state.usage.steps).toBe(1);
  });

  it("honours a 429's retryAfter over its own backoff", () => {
    const run = Scenario.start(fetchFlow());
    run.fail("fetch", { message: "rate limited", retriable: true, status: 429, retryAfterMs: 7_500 });
    expect(run.timers.get("fetch#1:retry")?.at).toBe(run.now + 7_500);
  });

  it("fails at once on a non-retriable error", () => {
    const run = Scenario.start(fetchFlow());
    run.fail("fetch", { message: "HTTP 404", retriable: false, status: 404 });
    expect(run.timers.size).toBe(0);
    expect(run.finished?.error?.message).toBe("fetch failed (not retriable): HTTP 404");
  });

  it("does not retry a 4xx even if the worker marked it retriable", () => {
    const run = Scenario.start(fetchFlow());
    run.fail("fetch", { message: "HTTP 400", retriable: true, status: 400 });
    expect(run.finished?.status).toBe("failed");
  });

  it("treats a step timeout as a retriable failure and aborts the attempt", () => {
    const run = Scenario.start(fetchFlow());
    const effects = run.fire("fetch#1:timeout");
    expect(effects).toContainEqual({
      type: "abortStep",
      stepId: "fetch",
      attemptId: "fetch#1",
      reason: "timeout",
    });
    expect(run.timers.has("fetch#1:retry")).toBe(true);
  });

  it("derives jitter from the attempt id, so replaying a failure gives the same delay", () => {
    const one = Scenario.start(fetchFlow({ jitter: 0.5 }));
    const two = Scenario.start(fetchFlow({ jitter: 0.5 }));
    one.fail("fetch", { message: "503", retriable: true });
    two.fail("fetch", { message: "503", retriable: true });
    expect(one.timers.get("fetch#1:retry")?.at).toBe(two.timers.get("fetch#1:retry")?.at);
  });

  it("uses an injected random source for jitter", () => {
    const run = Scenario.start(fetchFlow({ jitter: 0.5 }), { random: () => 0.999_999 });
    run.fail("fetch", { message: "503", retriable: true });
    expect(run.timers.get("fetch#1:retry")?.at).toBe(run.now + 500);
  });
});

describe("retry policy", () => {
  const policy = RetryPolicySchema.parse({
    maxAttempts: 5,
    backoff: { initialMs: "1s", maxMs: "5s", factor: 3 },
    jitter: 0,
  });

  it("fills sane defaults", () => {
    expect(RetryPolicySchema.parse({})).toEqual({
      maxAttempts: 3,
      backoff: { initialMs: 1_000, maxMs: 60_000, factor: 2 },
      jitter: 0.2,
    });
  });

  it("grows exponentially and caps at maxMs", () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(policy, a, 0))).toEqual([1_000, 3_000, 5_000, 5_000]);
  });

  it("only shortens a delay with jitter, never lengthens it", () => {
    const jittery = { ...policy, jitter: 0.2 };
    expect(backoffDelay(jittery, 1, 0)).toBe(1_000);
    expect(backoffDelay(jittery, 1, 1)).toBe(800);
  });

  it("retries 408 and 429 but no other 4xx", () => {
    expect([408, 429, 500, 503].every(isRetriableStatus)).toBe(true);
    expect([400, 401, 403, 404, 422].some(isRetriableStatus)).toBe(false);
  });

  it("stops after maxAttempts", () => {
    expect(planRetry(policy, 5, { message: "x", retriable: true }, () => 0)).toEqual({
      retry: false,
      reason: "exhausted",
    });
  });

  it("spreads hashUnit over [0, 1)", () => {
    const values = Array.from({ length: 200 }, (_, i) => hashUnit(`run:${i}`));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(new Set(values).size).toBe(200);
  });
});
