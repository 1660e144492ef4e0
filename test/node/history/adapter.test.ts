import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshHistoryDb, type HistoryDb } from "../../fixtures/history-db.ts";
import { type NodeServer, startNodeServer } from "../../fixtures/node-server.ts";
import { TEST_BINDINGS } from "../../fixtures/secrets.ts";
import { deliver, waitForStatus } from "../../scenarios/fixtures.ts";
import { historyScenarios } from "../../scenarios/history.ts";
import { useTarget } from "../../scenarios/target.ts";

// The Node adapter with history in Postgres (node-postgres; PGlite where no Postgres is reachable): the
// shared history scenarios over HTTP, then what only the database shows.
let node: NodeServer | undefined;
let db: HistoryDb;

beforeAll(async () => {
  db = await freshHistoryDb();
  node = await startNodeServer({
    name: "history",
    secrets: db.url ? { DATABASE_URL: db.url } : {},
    // With a real Postgres, the adapter builds its own node-postgres store from DATABASE_URL, as `npm run
    // start:node` does; PGlite has no URL, so its store is handed in.
    ...(db.kind === "pglite" && { history: () => db.store }),
  });
});

afterAll(async () => {
  await node?.close();
  await db?.close();
});

useTarget({
  runtime: "node",
  get baseUrl() {
    return node?.baseUrl ?? "";
  },
  fetch: (request) => fetch(request),
});
historyScenarios();

describe("history rows (Node adapter)", { timeout: 90_000 }, () => {
  it("has every step of a run, pure ones included, and each event once", async () => {
    const { json } = await deliver("run-echo", { text: "count my steps" });
    const runId = json.runId as string;
    const done = await waitForStatus(runId, ["completed"]);
    await expect
      .poll(
        async () =>
          (await db.query("select 1 from runs where run_id = $1 and status = 'completed'", [runId])).length,
        {
          timeout: 30_000,
        },
      )
      .toBe(1);
    const steps = await db.query<{ step_id: string; kind: string; status: string }>(
      "select step_id, kind, status from step_attempts where run_id = $1",
      [runId],
    );
    expect(steps.map((s) => s.step_id).sort()).toEqual(done.steps.map((s) => s.stepId).sort());
    expect(steps.some((s) => s.kind !== "llm" && s.kind !== "http")).toBe(true);
    const dup = await db.query("select id from events where run_id = $1 group by id having count(*) > 1", [
      runId,
    ]);
    expect(dup).toEqual([]);
  });

  it("never stores a secret: no configured secret value appears in any table", async () => {
    const tables = ["deliveries", "runs", "step_attempts", "events"];
    const dumps = await Promise.all(
      tables.map((t) => db.query<{ row: string }>(`select (x.*)::text as row from ${t} x`)),
    );
    const text = dumps
      .flat()
      .map((r) => r.row)
      .join("\n");
    expect(text.length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(TEST_BINDINGS)) {
      expect(text.includes(value), `${name} found in history`).toBe(false);
    }
  });
});
