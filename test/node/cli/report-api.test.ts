import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFromDisk } from "../../../src/cli/load.ts";
import { buildReport, factsFromApi, renderMarkdown } from "../../../src/cli/report.ts";
import { createNodeHookline, type NodeHookline } from "../../../src/node/hookline.ts";
import { TEST_BINDINGS } from "../../fixtures/secrets.ts";
import { signedRequest } from "../../fixtures/signed-request.ts";

// `hookline report` without Postgres: the Node host (the same app and objects as on Workers) runs real
// deliveries, and the report reads them back through the admin API's index and the runs' traces.
const BASE = "http://hookline.test";
const admin = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };
let hookline: NodeHookline;
let dataDir: string;
const call = (path: string, init?: RequestInit) => hookline.fetch(new Request(`${BASE}${path}`, init));

async function deliver(source: string, body: unknown): Promise<string> {
  const res = await hookline.fetch(
    await signedRequest({
      scheme: "github",
      url: `${BASE}/webhooks/in/${source}`,
      body,
      secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
      id: crypto.randomUUID(),
    }),
  );
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

async function status(runId: string): Promise<string> {
  return ((await (await call(`/runs/${runId}`, { headers: admin })).json()) as { status: string }).status;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hookline-report-api-"));
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

describe("hookline report from the admin API (index + traces)", { timeout: 90_000 }, () => {
  it("counts real runs, a real cancel, steps and models, and says what the index lacks", async () => {
    const since = Date.now() - 1_000;
    const done = [await deliver("run-echo", { text: "one" }), await deliver("run-echo", { text: "two?" })];
    const waiting = await deliver("run-wait", { text: "approve me" });
    for (const id of done) await expect.poll(() => status(id), { timeout: 30_000 }).toBe("completed");
    await expect.poll(() => status(waiting), { timeout: 30_000 }).toBe("waiting");
    const cancel = await call(`/runs/${waiting}/cancel`, { method: "POST", headers: admin });
    expect(cancel.status).toBe(200);

    const read = () =>
      factsFromApi({
        baseUrl: BASE,
        token: TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN,
        since,
        until: Date.now() + 1_000,
        maxTraces: 200,
        fetch: (url, init) => hookline.fetch(new Request(url, init)),
      });
    // The index is fed after the ack (session outbox, EVENTS queue): wait until it shows all three.
    await expect
      .poll(
        async () => {
          const f = await read();
          return [f.runs.map((r) => r.status).sort(), f.deliveries.length];
        },
        { timeout: 30_000, interval: 100 },
      )
      .toEqual([["cancelled", "completed", "completed"], 3]);

    const report = buildReport(await read());
    expect(report.from).toBe("index");
    expect(report.runs.bySource.map((r) => [r.channel, r.source, r.runs, r.completed, r.cancelled])).toEqual([
      ["generic", "run-echo", 2, 2, 0],
      ["generic", "run-wait", 1, 0, 1],
    ]);
    expect(report.runs.byChannel[0]).toMatchObject({
      channel: "generic",
      completionRate: 0.6667,
      cancelRate: 0.3333,
    });
    expect(report.cancels).toMatchObject({ count: 1, bySource: [{ source: "api", count: 1 }] });
    expect(report.cancels?.p50Ms).toBeGreaterThanOrEqual(0);
    // Two echo llm attempts, timed; the pure steps are counted but carry no timing in a trace.
    const llm = report.steps?.find((s) => s.kind === "llm");
    expect(llm).toMatchObject({ attempts: 2, count: 2, byStatus: { succeeded: 2 } });
    expect(report.steps?.find((s) => s.kind === "branch")).toMatchObject({
      attempts: 2,
      count: 0,
      p50Ms: null,
    });
    expect(report.models).toEqual([
      expect.objectContaining({ provider: "hookline", model: "echo", calls: 2, costUsd: expect.any(Number) }),
    ]);
    expect(report.deliveries.triggers.decided).toBe(0); // generic webhooks have no trigger decision
    expect(report.notes.join("\n")).toMatch(/run index holds each run's status/);
    expect(renderMarkdown(report)).toContain("| run-echo | generic | 2 | 2 | 0 | 2 (100.0%) |");
  });
});
