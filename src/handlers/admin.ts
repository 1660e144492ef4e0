import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { timingSafeEqualText } from "../core/verify/timing-safe.ts";
import type { AppEnv } from "./context.ts";
import { problem } from "./problem.ts";
import { parseSince } from "./query.ts";

/** Bearer auth against the env var named by `admin.tokenEnv`. Unset token = admin API closed, never open. */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const tokenEnv = c.get("config").admin.tokenEnv;
  const expected = c.get("res").secrets[tokenEnv];
  if (typeof expected !== "string" || expected === "") {
    return problem("admin_disabled", `the admin API is closed until ${tokenEnv} is set`);
  }
  const header = c.req.header("authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  if (!timingSafeEqualText(given, expected)) {
    return new Response(
      JSON.stringify({ error: "unauthorized", message: "send Authorization: Bearer <token>" }),
      {
        status: 401,
        headers: { "content-type": "application/json", "www-authenticate": 'Bearer realm="hookline-admin"' },
      },
    );
  }
  await next();
});

/** GET /admin/deliveries?source=&since=&limit= and GET /admin/deliveries/:key. */
export const admin = new Hono<AppEnv>()
  .use("*", requireAdmin)
  .get("/deliveries", async (c) => {
    const since = parseSince(c.req.query("since"));
    if (since === null) return problem("bad_query", "since must be an ISO 8601 time or epoch milliseconds");
    const limitRaw = c.req.query("limit");
    const limit = limitRaw === undefined ? 100 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      return problem("bad_query", "limit must be an integer from 1 to 500");
    }
    const rows = await c
      .get("res")
      .ops()
      .listDeliveries({
        source: c.req.query("source") || undefined,
        since,
        limit,
      });
    return c.json({ deliveries: rows.map(toJson) });
  })
  .get("/deliveries/:key", async (c) => {
    const key = c.req.param("key");
    const indexed = await c.get("res").ops().getDelivery(key);
    if (!indexed) return problem("not_found", `no delivery with key "${key}" (expired, or not indexed yet)`);
    const record = await c.get("res").sessions.getByName(indexed.sessionKey).getDelivery(key);
    if (!record) return problem("not_found", `delivery "${key}" has expired`);
    return c.json({
      ...toJson({ ...record, sessionKey: indexed.sessionKey }),
      event: JSON.parse(record.event),
    });
  });

function toJson(row: {
  key: string;
  source: string;
  channel: string;
  kind: string;
  outcome: string;
  sessionKey: string;
  receivedAt: number;
  expiresAt: number;
  seenCount: number;
  lastSeenAt: number;
  decision?: string | null;
}) {
  return {
    key: row.key,
    source: row.source,
    channel: row.channel,
    kind: row.kind,
    outcome: row.outcome,
    sessionKey: row.sessionKey,
    receivedAt: new Date(row.receivedAt).toISOString(),
    expiresAt: new Date(row.expiresAt).toISOString(),
    lastSeenAt: new Date(row.lastSeenAt).toISOString(),
    seenCount: row.seenCount,
    decision: row.decision ? (JSON.parse(row.decision) as unknown) : null,
  };
}
