import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFromDisk } from "../../src/cli/load.ts";
import { createNodeHookline, type NodeHookline } from "../../src/node/hookline.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { readSse } from "../scenarios/sse.ts";

// A 202 names its run before the run exists (the work follows the ack). A client that opens the run's stream at
// once must get the stream, not a 404 that an EventSource would not retry.
const BASE = "http://hookline.test";
const admin = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };
let hookline: NodeHookline;
let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "hookline-stream-start-"));
  hookline = createNodeHookline({
    config: loadFromDisk(process.cwd(), "test"),
    secrets: { ...TEST_BINDINGS, HOOKLINE_ENV: "test" },
    dataDir,
  });
  hookline.start();
});

afterAll(async () => {
  await hookline?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("GET /runs/:id/stream and /runs/:id for a run that starts a moment later", {
  timeout: 30_000,
}, () => {
  it("waits for the start and streams the run to its end", async () => {
    const runId = "run_0123456789abcdef0123456789abcdef";
    const opened = hookline.fetch(new Request(`${BASE}/runs/${runId}/stream`, { headers: admin }));
    await new Promise((r) => setTimeout(r, 300));
    await hookline.res.runs.getByName(runId).fromSession({
      type: "start",
      runId,
      workflowId: "late",
      workflow: {
        id: "late",
        steps: [{ id: "answer", kind: "llm", model: "echo", prompt: "late but here", timeout: 30_000 }],
      },
      input: {},
    });
    const res = await opened;
    expect(res.status).toBe(200);
    const events = await readSse(res, (e) => e.event === "end");
    expect(events[0]).toMatchObject({ id: "1", event: "run.state" });
    expect(JSON.parse(events.at(-1)?.data ?? "{}")).toMatchObject({ runId, status: "completed" });
  });

  it("GET /runs/:id waits for the start too, then answers the trace", async () => {
    const runId = "run_fedcba9876543210fedcba9876543210";
    const asked = hookline.fetch(new Request(`${BASE}/runs/${runId}`, { headers: admin }));
    await new Promise((r) => setTimeout(r, 300));
    await hookline.res.runs.getByName(runId).fromSession({
      type: "start",
      runId,
      workflowId: "late",
      workflow: {
        id: "late",
        steps: [{ id: "answer", kind: "llm", model: "echo", prompt: "late trace", timeout: 30_000 }],
      },
      input: {},
    });
    const res = await asked;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ runId, workflowId: "late" });
  });

  it("answers 404 when no run starts within the grace period", async () => {
    const started = Date.now();
    const res = await hookline.fetch(
      new Request(`${BASE}/runs/run_ffffffffffffffffffffffffffffffff/stream`, { headers: admin }),
    );
    expect(res.status).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });
});
