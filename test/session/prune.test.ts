import { describe, expect, it } from "vitest";
import { ANSWERED_KEEP_MS, type Approval, MAX_APPROVALS, pruneApprovals } from "../../src/session/index.ts";
import { ask, press } from "./approval-helpers.ts";
import { Harness } from "./harness.ts";

describe("chat session: pruning approvals", () => {
  const approval = (i: number, answeredAt: number | null): Approval => ({
    token: `token${i}`,
    runId: `run_${i}`,
    waitId: "w",
    stepId: "s",
    allowed: [],
    target: "100",
    createdAt: i,
    answeredAt,
  });

  it("drops answered approvals a day after their answer, on any input", () => {
    const s = new Harness();
    ask(s);
    press(s, 2, true);
    ask(s, { token: "open12345", runId: "run_2" });
    s.now += ANSWERED_KEEP_MS - 1;
    s.finished("nobody");
    expect(s.state.approvals).toHaveLength(2);
    s.now += 1;
    s.finished("nobody");
    expect(s.state.approvals.map((a) => a.token)).toEqual(["open12345"]);
  });

  it("caps the list, dropping answered ones first, then the oldest", () => {
    const answered = [approval(1000, 5), approval(1001, 5)];
    const open = Array.from({ length: MAX_APPROVALS }, (_, i) => approval(i, null));
    const kept = pruneApprovals([...answered, ...open], 10);
    expect(kept).toEqual(open);
    const more = pruneApprovals([...open, approval(500, null)], 10);
    expect(more).toHaveLength(MAX_APPROVALS);
    expect(more.map((a) => a.token)).not.toContain("token0");
    expect(more.at(-1)?.token).toBe("token500");
  });

  it("returns the same list when nothing is dropped", () => {
    const list = [approval(1, null), approval(2, 5)];
    expect(pruneApprovals(list, 10)).toBe(list);
  });
});
