import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NodeServer, startNodeServer } from "../fixtures/node-server.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { readSse } from "../scenarios/sse.ts";

// A 202 names its run before the run exists (the work follows the ack). A client that opens the run's stream at
// once must get the stream, not a 404 that an EventSource would not retry.
const BASE = "http://hookline.test";
const admin = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };
let node: NodeServer;
const ask = (path: string) => node.hookline.fetch(new Request(`${BASE}${path}`, { headers: admin }));

/** Starts run `runId` (one echo step) 300 ms from now, as a session would after its ack. */
async function startLater(runId: string, prompt: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  await node.hookline.res.runs.getByName(runId).fromSession({
    type: "start",
    runId,
    workflowId: "late",
    workflow: { id: "late", steps: [{ id: "answer", kind: "llm", model: "echo", prompt, timeout: 30_000 }] },
    input: {},
  });
}

beforeAll(async () => {
  node = await startNodeServer({ name: "stream-start" });
});

afterAll(async () => {
  await node?.close();
});

describe("GET /runs/:id/stream and /runs/:id for a run that starts a moment later", {
  timeout: 30_000,
}, () => {
  it("waits for the start and streams the run to its end", async () => {
    const runId = "run_0123456789abcdef0123456789abcdef";
    const opened = ask(`/runs/${runId}/stream`);
    await startLater(runId, "late but here");
    const res = await opened;
    expect(res.status).toBe(200);
    const events = await readSse(res, (e) => e.event === "end");
    expect(events[0]).toMatchObject({ id: "1", event: "run.state" });
    expect(JSON.parse(events.at(-1)?.data ?? "{}")).toMatchObject({ runId, status: "completed" });
  });

  it("GET /runs/:id waits for the start too, then answers the trace", async () => {
    const runId = "run_fedcba9876543210fedcba9876543210";
    const asked = ask(`/runs/${runId}`);
    await startLater(runId, "late trace");
    const res = await asked;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ runId, workflowId: "late" });
  });

  it("answers 404 when no run starts within the grace period", async () => {
    const started = Date.now();
    const res = await ask("/runs/run_ffffffffffffffffffffffffffffffff/stream");
    expect(res.status).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });
});
