import { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "./admin.ts";
import type { AppEnv } from "./context.ts";
import { parseBody } from "./pipeline.ts";
import { problem } from "./problem.ts";
import { parseSince } from "./query.ts";

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;
const RUN_STATUSES = ["running", "waiting", "completed", "failed", "cancelled", "governor_breached"] as const;

/** The REST API over runs: list, trace, cancel, resume. Admin bearer auth. */
export const runsApi = new Hono<AppEnv>()
  .use("*", requireAdmin)
  .get("/", async (c) => {
    const since = parseSince(c.req.query("since"));
    if (since === null) return problem("bad_query", "since must be an ISO 8601 time or epoch milliseconds");
    const status = c.req.query("status") || undefined;
    if (status && !RUN_STATUSES.includes(status as (typeof RUN_STATUSES)[number])) {
      return problem("bad_query", `status must be one of ${RUN_STATUSES.join(", ")}`);
    }
    const runs = await c
      .get("res")
      .ops()
      .listRuns({
        status,
        workflow: c.req.query("workflow") || undefined,
        since,
      });
    return c.json({
      runs: runs.map((r) => ({
        ...r,
        startedAt: new Date(r.startedAt).toISOString(),
        updatedAt: new Date(r.updatedAt).toISOString(),
      })),
    });
  })
  .get("/:id", async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
    const trace = await c.get("res").runs.getByName(id).getTrace();
    return trace
      ? new Response(trace, { headers: { "content-type": "application/json; charset=utf-8" } })
      : problem("not_found", `no run "${id}"`);
  })
  .post("/:id/cancel", async (c) => {
    const requestedAt = Date.now();
    const id = c.req.param("id");
    if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
    const result = await c.get("res").runs.getByName(id).cancel({ source: "api", requestedAt });
    if (!result.found) return problem("not_found", `no run "${id}"`);
    return c.json({ runId: id, ...result });
  })
  .post("/:id/resume", async (c) => {
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
