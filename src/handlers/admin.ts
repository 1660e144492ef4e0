import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { HooklineConfig } from "../config/schema.ts";
import { ledgerShard } from "../core/inbound/generic.ts";
import { timingSafeEqualText } from "../core/verify/timing-safe.ts";
import { page } from "../history/cursor.ts";
import { replayDeadEvents } from "../host/history-feed.ts";
import type { Resources } from "../host/resources.ts";
import type { AppEnv } from "./context.ts";
import { csrfOk, dashboardSession } from "./dashboard-auth.ts";
import { iso, parseListParams } from "./list-query.ts";
import { problem } from "./problem.ts";

/**
 * Bearer auth against the env var named by `admin.tokenEnv`, or a signed-in dashboard session (cookie, plus
 * `X-CSRF` for changes). Unset token = admin API closed, never open.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const tokenEnv = c.get("config").admin.tokenEnv;
  const expected = c.get("res").secrets[tokenEnv];
  if (typeof expected !== "string" || expected === "") {
    return problem("admin_disabled", `the admin API is closed until ${tokenEnv} is set`);
  }
  const header = c.req.header("authorization") ?? "";
  // The dashboard's signed session cookie stands in for the bearer token; changes also need its CSRF token.
  const session = header === "" ? await dashboardSession(c) : null;
  if (session) {
    if (c.req.method === "GET" || c.req.method === "HEAD" || csrfOk(c, session)) return next();
    return problem("csrf", "send the dashboard's X-CSRF token from the same origin");
  }
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

/**
 * GET /admin/deliveries?source=&outcome=&since=&until=&cursor=&limit= (newest first, `nextCursor` pages on)
 * and GET /admin/deliveries/:key. Served from Postgres when `DATABASE_URL` is set, else from the Durable
 * Object index; the single view always adds the authoritative ledger's record and event.
 */
export const admin = new Hono<AppEnv>()
  .use("*", requireAdmin)
  .get("/deliveries", async (c) => {
    const params = parseListParams(c.req.query());
    if (!params.ok) return params.response;
    const filter = {
      ...params.value,
      source: c.req.query("source") || undefined,
      outcome: c.req.query("outcome") || undefined,
    };
    const res = c.get("res");
    if (res.history) {
      const store = res.history();
      try {
        const found = await store.listDeliveries(filter);
        return c.json({
          deliveries: found.items.map(toJson),
          nextCursor: found.nextCursor,
          from: "postgres",
        });
      } finally {
        await store.close();
      }
    }
    const rows = await res.ops().listDeliveries({ ...filter, limit: filter.limit + 1 });
    const found = page(rows, filter.limit, (r) => ({ at: r.receivedAt, id: r.key }));
    return c.json({ deliveries: found.items.map(toJson), nextCursor: found.nextCursor, from: "index" });
  })
  .get("/deliveries/:key", async (c) => {
    const key = c.req.param("key");
    const res = c.get("res");
    // The index (or Postgres) says which session holds the ledger entry. When it does not know the key yet,
    // ask the ledger itself: a generic delivery's session follows from its key, any other from `?session=`.
    const indexed = await findDelivery(res, key);
    const sessionKey = indexed?.sessionKey ?? c.req.query("session") ?? ledgerSessionOf(c.get("config"), key);
    const record = sessionKey ? await res.sessions.getByName(sessionKey).getDelivery(key) : null;
    if (!record || !sessionKey) {
      return problem(
        "not_found",
        indexed
          ? `delivery "${key}" has expired`
          : `no delivery with key "${key}" (expired, or not indexed yet: for a chat delivery, pass ?session=<sessionKey>)`,
      );
    }
    return c.json({
      ...toJson({ ...record, sessionKey }),
      event: JSON.parse(record.event),
      indexed: indexed !== null,
    });
  });

/**
 * GET /admin/events/dead: how many EVENTS messages exhausted their retries, and the oldest 20.
 * POST /admin/events/replay: sends them back to EVENTS (what `hookline events replay` calls).
 */
export const adminEvents = new Hono<AppEnv>()
  .use("*", requireAdmin)
  .get("/dead", async (c) => {
    const { total, events } = await c.get("res").ops().deadEvents(20);
    return c.json({ total, oldest: events });
  })
  .post("/replay", async (c) => c.json(await replayDeadEvents(c.get("res"))));

/** The ledger session of a generic delivery (`<source>:<id>`) whose source keys no session of its own. */
function ledgerSessionOf(config: HooklineConfig, key: string): string | undefined {
  const at = key.indexOf(":");
  if (at <= 0) return undefined;
  const source = config.sources[key.slice(0, at)];
  if (!source || source.channel !== "generic" || source.sessionKey) return undefined;
  return `in:${key.slice(0, at)}:ledger:${ledgerShard(key.slice(at + 1))}`;
}

async function findDelivery(res: Resources, key: string): Promise<{ sessionKey: string } | null> {
  if (!res.history) return res.ops().getDelivery(key);
  const store = res.history();
  try {
    return await store.getDelivery(key);
  } finally {
    await store.close();
  }
}

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
  decision?: unknown;
}) {
  return {
    key: row.key,
    source: row.source,
    channel: row.channel,
    kind: row.kind,
    outcome: row.outcome,
    sessionKey: row.sessionKey,
    receivedAt: iso(row.receivedAt),
    expiresAt: iso(row.expiresAt),
    lastSeenAt: iso(row.lastSeenAt),
    seenCount: row.seenCount,
    // The index keeps the decision as JSON text; Postgres as jsonb.
    decision:
      typeof row.decision === "string" ? (JSON.parse(row.decision) as unknown) : (row.decision ?? null),
  };
}
