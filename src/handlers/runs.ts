import { Hono } from "hono";
import { z } from "zod";
import { page } from "../history/cursor.ts";
import type { RunListItem } from "../history/store.ts";
import { requireAdmin } from "./admin.ts";
import type { AppEnv } from "./context.ts";
import { iso, parseListParams, RUN_STATUSES } from "./list-query.ts";
import { parseBody } from "./pipeline.ts";
import { problem } from "./problem.ts";
import { adminOrRunToken } from "./run-token.ts";

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * GET /runs: newest first, filtered by status, workflow, source, since/until and (with Postgres history)
 * free text `q` over input, output and error; `nextCursor` pages on. Served from Postgres when
 * `DATABASE_URL` is set, else from the Durable Object index (`from` says which).
 */
const list = new Hono<AppEnv>().get("/", requireAdmin, async (c) => {
  const params = parseListParams(c.req.query());
  if (!params.ok) return params.response;
  const status = c.req.query("status") || undefined;
  if (status && !RUN_STATUSES.includes(status as (typeof RUN_STATUSES)[number])) {
    return problem("bad_query", `status must be one of ${RUN_STATUSES.join(", ")}`);
  }
  const q = c.req.query("q")?.trim() || undefined;
  const filter = {
    ...params.value,
    status,
    workflow: c.req.query("workflow") || undefined,
    source: c.req.query("source") || undefined,
    q,
  };
  const res = c.get("res");
  if (res.history) {
    const store = res.history();
    try {
      const found = await store.listRuns(filter);
      return c.json({ runs: found.items.map(runJson), nextCursor: found.nextCursor, from: "postgres" });
    } finally {
      await store.close();
    }
  }
  if (q) {
    return problem(
      "bad_query",
      "q (free-text search) needs Postgres history: set DATABASE_URL and run `hookline db migrate` (README: History in Postgres)",
    );
  }
  const rows = await res.ops().listRuns({ ...filter, limit: filter.limit + 1 });
  const found = page(rows, filter.limit, (r) => ({ at: r.startedAt, id: r.runId }));
  return c.json({ runs: found.items.map(runJson), nextCursor: found.nextCursor, from: "index" });
});

function runJson(r: RunListItem) {
  return {
    ...r,
    startedAt: iso(r.startedAt),
    updatedAt: iso(r.updatedAt),
    ...(r.finishedAt !== undefined && { finishedAt: iso(r.finishedAt) }),
  };
}

/** The REST API over runs: list, trace, cancel, resume. Admin bearer auth. */
export const runsApi = new Hono<AppEnv>()
  .route("/", list)
  .get("/:id", adminOrRunToken, async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
    const trace = await c.get("res").runs.getByName(id).getTrace();
    return trace
      ? new Response(trace, { headers: { "content-type": "application/json; charset=utf-8" } })
      : problem("not_found", `no run "${id}"`);
  })
  .post("/:id/cancel", requireAdmin, async (c) => {
    const requestedAt = Date.now();
    const id = c.req.param("id");
    if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
    const result = await c.get("res").runs.getByName(id).cancel({ source: "api", requestedAt });
    if (!result.found) return problem("not_found", `no run "${id}"`);
    return c.json({ runId: id, ...result });
  })
  .post("/:id/resume", requireAdmin, async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const body = parseBody(raw, z.json());
    if (!body.ok) return body.response;
    const result = await c
      .get("res")
      .runs.getByName(id)
      .resume({ input: body.value, stepId: c.req.query("step") || undefined });
    if (!result.found) return problem("not_found", `no run "${id}"`);
    if (!result.resumed) {
      return problem(
        "bad_resume",
        `run "${id}" did not resume: it is ${result.status}, or the input does not match the wait step's schema`,
      );
    }
    return c.json({ runId: id, ...result });
  });
