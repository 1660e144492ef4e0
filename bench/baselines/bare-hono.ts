/**
 * Baseline 1 for `npm run bench`: the cheapest useful Hono webhook route. It reads the whole body and
 * answers 200 JSON; no verification, no parsing, no storage. Everything Hookline adds is measured against it.
 * `GET /runs` (an empty page) is the same for the history bench.
 */
import { Hono } from "hono";

const app = new Hono()
  .post("/webhooks/telegram/:bot", async (c) => {
    await c.req.arrayBuffer();
    return c.json({ status: "ok" });
  })
  // bench/history.ts's baseline for GET /runs: the route alone, an empty page, no database.
  .get("/runs", (c) => c.json({ runs: [], nextCursor: null, from: "bare" }));

export default app;
