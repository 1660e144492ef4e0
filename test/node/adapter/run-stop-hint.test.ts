import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunApi } from "../../../src/host/resources.ts";
import { startFakeOpenAi } from "../../servers/fake-openai.ts";
import { openRuns, type SentStep, traceOf } from "./run-host.ts";
import { tempDir } from "./tmp.ts";

// /stop aborts first and commits second: the session's hint (`stopping`) closes the model connection at once,
// the aborted attempt's result waits for the session's durable cancel, and only that cancel ends the run.

let openai: Awaited<ReturnType<typeof startFakeOpenAi>>;
beforeAll(async () => {
  openai = await startFakeOpenAi();
});
afterAll(() => openai.close());

describe("a /stop hint to a run", { timeout: 60_000 }, () => {
  it("closes the model stream at once, holds the aborted attempt, and the cancel then ends the run", async () => {
    const sent: SentStep[] = [];
    const { runs } = openRuns(tempDir(), {
      sent,
      secrets: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: `${openai.url}/v1` },
    });
    try {
      const stub = runs.getByName("run_stop_hint1") as unknown as RunApi;
      const marker = "stop-hint-probe-1";
      await stub.fromSession({
        type: "start",
        runId: "run_stop_hint1",
        workflowId: "stop-hint",
        workflow: {
          id: "stop-hint",
          steps: [
            {
              id: "answer",
              kind: "llm",
              model: "openai:slow-100",
              stream: true,
              prompt: marker,
              timeout: 60_000,
            },
          ],
        },
        input: {},
      });
      const completion = () => openai.requests.find((r) => JSON.stringify(r.body).includes(marker));
      await vi.waitFor(() => expect(completion()).toBeDefined(), { timeout: 10_000, interval: 10 });

      expect(await stub.fromSession({ type: "stopping" })).toEqual({ aborting: 1 });
      await vi.waitFor(() => expect(completion()?.clientClosedEarly).toBe(true), {
        timeout: 5_000,
        interval: 5,
      });
      // Well past the attempt's own abort: nothing failed or retried it, and the run waits for the cancel.
      await new Promise((r) => setTimeout(r, 500));
      const held = await traceOf(stub);
      expect(held.status).toBe("running");
      expect(held.steps).toEqual([expect.objectContaining({ status: "running" })]);
      expect(sent).toEqual([]);

      const cancel = await stub.fromSession({
        type: "cancel",
        source: "telegram:/stop",
        requestedAt: Date.now(),
      });
      expect(cancel).toMatchObject({ found: true, status: "cancelled", alreadyFinished: false });
      await vi.waitFor(
        async () =>
          expect((await traceOf(stub)).steps).toEqual([expect.objectContaining({ status: "cancelled" })]),
        { timeout: 5_000, interval: 20 },
      );
      expect((await traceOf(stub)).status).toBe("cancelled");
      expect(sent).toEqual([]);
      expect(openai.requests.filter((r) => JSON.stringify(r.body).includes(marker))).toHaveLength(1);
    } finally {
      await runs.close();
    }
  });

  it("does nothing to a run with no step in flight", async () => {
    const { runs } = openRuns(tempDir());
    try {
      const stub = runs.getByName("run_stop_hint2") as unknown as RunApi;
      expect(await stub.fromSession({ type: "stopping" })).toEqual({ aborting: 0 });
      await stub.fromSession({
        type: "start",
        runId: "run_stop_hint2",
        workflowId: "stop-hint",
        workflow: { id: "stop-hint-wait", steps: [{ id: "wait", kind: "wait", timeout: 3_600_000 }] },
        input: {},
      });
      expect(await stub.fromSession({ type: "stopping" })).toEqual({ aborting: 0 });
      expect(await traceOf(stub)).toMatchObject({ status: "waiting" });
    } finally {
      await runs.close();
    }
  });
});
