import { afterEach, describe, expect, it, vi } from "vitest";
import type { StepOutcome } from "../../../src/engine/messages.ts";
import { notStopped, STOP_HOLD_MS, StopHold } from "../../../src/host/run-stop-hold.ts";

const aborted: StepOutcome = {
  ok: false,
  error: { message: "run cancelled", retriable: true },
  aborted: true,
  startedAt: 1,
  finishedAt: 2,
};

describe("StopHold: the results of attempts a /stop hint aborted", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps nothing until a hint begins, and never a result that was not aborted", () => {
    const released: unknown[] = [];
    const hold = new StopHold((h) => released.push(...h));
    expect(hold.keep({ attemptId: "a#1", stepId: "a", report: aborted })).toBe(false);
    hold.begin();
    const failed: StepOutcome = { ...aborted, aborted: false };
    const done: StepOutcome = { ok: true, output: null, startedAt: 1, finishedAt: 2 };
    expect(hold.keep({ attemptId: "a#1", stepId: "a", report: failed })).toBe(false);
    expect(hold.keep({ attemptId: "a#1", stepId: "a", report: done })).toBe(false);
    expect(hold.ids()).toEqual([]);
    hold.end();
    expect(released).toEqual([]);
  });

  it("hands the held results over once, when the cancel ends the hold", () => {
    const released: string[][] = [];
    const hold = new StopHold((h) => released.push(h.map((r) => r.attemptId)));
    hold.begin();
    expect(hold.keep({ attemptId: "a#1", stepId: "a", report: aborted })).toBe(true);
    expect(hold.keep({ attemptId: "b#1", stepId: "b", report: aborted })).toBe(true);
    expect(hold.has("a#1")).toBe(true);
    expect(hold.ids()).toEqual(["a#1", "b#1"]);
    hold.end();
    hold.end();
    expect(released).toEqual([["a#1", "b#1"]]);
    expect(hold.has("a#1")).toBe(false);
    // Over: the next aborted result is applied as usual.
    expect(hold.keep({ attemptId: "c#1", stepId: "c", report: aborted })).toBe(false);
  });

  it("lets the results go after STOP_HOLD_MS when no cancel came, as retriable failures", () => {
    vi.useFakeTimers();
    const released: StepOutcome[] = [];
    const hold = new StopHold((h) => released.push(...h.map((r) => notStopped(r.report))));
    hold.begin();
    hold.keep({ attemptId: "a#1", stepId: "a", report: aborted });
    vi.advanceTimersByTime(STOP_HOLD_MS - 1);
    expect(released).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(released).toEqual([
      {
        ok: false,
        error: { message: expect.stringContaining("the step runs again"), retriable: true },
        aborted: false,
        startedAt: 1,
        finishedAt: 2,
      },
    ]);
  });
});
