import { describe, expect, it, vi } from "vitest";
import type { RunApi } from "../../../src/host/resources.ts";
import { INLINE_CHECK_MS } from "../../../src/host/run-store.ts";
import { openRuns, type SentStep, traceOf } from "./run-host.ts";
import { tempDir } from "./tmp.ts";

// Found by `npm run faults` (crash-workerd): an inline attempt still streaming at its one orphan check
// (5 s after it started) and then killed with its process was found again only by its step timeout, as
// nothing else woke the run after the restart. Chat runs sat for that timeout and then started their
// retry through the queue. The run now checks every INLINE_CHECK_MS while an inline attempt is open.

describe("an inline attempt whose process dies after its first check", { timeout: 60_000 }, () => {
  it("goes to the queue within one check interval after the restart, not at its step timeout", async () => {
    const dir = tempDir();
    const sent: SentStep[] = [];
    const open = () => openRuns(dir, { closeTimeoutMs: 100, sent }).runs;
    // A 40-word echo stream at 1 s a word: far longer than the test. Step timeout 55 s (inline: ≤ 2 min).
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    const workflow = {
      id: "orphan-probe",
      steps: [
        {
          id: "think",
          kind: "llm" as const,
          model: "echo?delayMs=1000",
          stream: true,
          prompt: words,
          timeout: 55_000,
        },
      ],
    };

    const first = open();
    const stub = first.getByName("run_inline_orphan1") as unknown as RunApi;
    await stub.fromSession({
      type: "start",
      runId: "run_inline_orphan1",
      workflowId: "orphan-probe",
      workflow,
      input: {},
    });
    await vi.waitFor(
      async () => expect((await traceOf(stub)).steps[0]).toMatchObject({ status: "running", mode: "inline" }),
      {
        timeout: 15_000,
        interval: 20,
      },
    );
    const attemptId = (await traceOf(stub)).steps[0]?.attemptId as string;
    // Past the first check, with the attempt alive: it stays inline, nothing is queued.
    await new Promise((r) => setTimeout(r, INLINE_CHECK_MS + 1_000));
    expect((await traceOf(stub)).steps[0]).toMatchObject({ attemptId, status: "running", mode: "inline" });
    expect(sent).toEqual([]);

    // The process dies: its files stay, its memory (the running inline job) is gone for the new one.
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await first.close();
    const killedAt = Date.now();
    const second = open();
    try {
      // Nothing calls the run: only its alarm can wake it.
      await vi.waitFor(() => expect(sent.map((m) => m.attemptId)).toContain(attemptId), {
        timeout: INLINE_CHECK_MS * 3,
        interval: 50,
      });
      expect(Date.now() - killedAt).toBeLessThan(INLINE_CHECK_MS * 2);
      expect(
        (await traceOf(second.getByName("run_inline_orphan1") as unknown as RunApi)).steps[0],
      ).toMatchObject({
        attemptId,
        mode: "queue",
      });
    } finally {
      await second.close();
      errors.mockRestore();
    }
  });
});
