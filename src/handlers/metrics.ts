import { Hono } from "hono";
import { renderPrometheus } from "../host/metrics.ts";
import { requireAdmin } from "./admin.ts";
import type { AppEnv } from "./context.ts";

/**
 * GET /metrics (admin token): Prometheus text format. The counters live in the OpsObject, fed by the EVENTS
 * consumer and the delivery summaries, so they are the same on Workers and Node, with or without Postgres.
 */
export const metrics = new Hono<AppEnv>().use("*", requireAdmin).get("/", async (c) => {
  const { values, deadEvents } = await c.get("res").ops().metrics();
  return new Response(renderPrometheus(values, { hookline_events_dead: deadEvents }), {
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" },
  });
});
