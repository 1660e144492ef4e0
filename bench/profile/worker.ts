/**
 * Bench-only worker for `bench/profile-ingress.ts`: the real Hookline worker (src/index.ts: app, queue
 * consumer, Durable Objects) plus variants of the Telegram ingress that stop after each stage, to see where
 * the time goes. Never deployed; src/ is only imported. Its wrangler config is generated from the root
 * wrangler.toml (see bench/profile-ingress.ts), plus the bench-only Durable Objects below.
 *
 *   POST /webhooks/telegram/:bot   the real app (verify → parse → normalize → SessionObject.record → ack)
 *   POST /p/verify/:bot            verify → parse → normalize → ack; no Durable Object
 *   POST /p/noop/:bot              … + RPC to a Durable Object whose record() does nothing
 *   POST /p/sql/:bot               … + RPC to a Durable Object whose record() is one raw SQL check-and-insert
 *   POST /p/noflush/:bot           … + the real SessionObject.record, with the outbox flush alarm disabled
 *   POST /p/noindex/:bot           … + the real SessionObject.record; the alarm re-arms but never calls OpsObject
 *   POST /p/full/:bot              … + the real SessionObject.record, without a workflow (no run is started)
 * `?fresh=1` keys the Durable Object by delivery instead of by chat (a new object per request, as GitHub and
 * Stripe sources without a session key get).
 */
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";
import { normalizeTelegram, TelegramUpdate } from "../../src/core/inbound/telegram.ts";
import type { InboundEvent } from "../../src/core/inbound-event.ts";
import { resourcesFor } from "../../src/durable/resources.ts";
import { SessionObject } from "../../src/durable/session.ts";
import type { Env as RealEnv } from "../../src/env.ts";
import type { AppEnv } from "../../src/handlers/context.ts";
import { findSource } from "../../src/handlers/context.ts";
import { parseBody, readVerified } from "../../src/handlers/pipeline.ts";
import { problem } from "../../src/handlers/problem.ts";
import hookline from "../../src/index.ts";

// Every Durable Object class (and anything else) the real entry exports; its queue consumer is reused below.
export * from "../../src/index.ts";

interface RecordArgs {
  event: InboundEvent;
  retentionMs: number;
}
type Ack = { status: string; deliveryKey: string };

/** A Durable Object hop and nothing else. */
export class NoopObject extends DurableObject {
  async record({ event }: RecordArgs): Promise<Ack> {
    return { status: "accepted", deliveryKey: event.deliveryKey };
  }
}

/** The minimum durable dedup: one table, check-and-insert in one synchronous transaction, no ORM or schema. */
export class RawSqlObject extends DurableObject<RealEnv> {
  constructor(ctx: DurableObjectState, env: RealEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS deliveries (key TEXT PRIMARY KEY, seen INTEGER NOT NULL, event TEXT NOT NULL)",
    );
  }
  async record({ event }: RecordArgs): Promise<Ack> {
    const sql = this.ctx.storage.sql;
    const inserted = sql.exec(
      "INSERT INTO deliveries (key, seen, event) VALUES (?, 1, ?) ON CONFLICT DO NOTHING",
      event.deliveryKey,
      JSON.stringify(event),
    ).rowsWritten;
    if (!inserted) sql.exec("UPDATE deliveries SET seen = seen + 1 WHERE key = ?", event.deliveryKey);
    return { status: inserted ? "accepted" : "duplicate", deliveryKey: event.deliveryKey };
  }
}

/** The real SessionObject, except that its alarm (outbox → OpsObject index, expiry purge) does nothing. */
export class NoFlushSessionObject extends SessionObject {
  override async alarm(): Promise<void> {}
}

/** The real SessionObject, except that its alarm only re-arms (setAlarm per flush window) and never calls OpsObject. */
export class NoIndexSessionObject extends SessionObject {
  override async alarm(): Promise<void> {
    // The session's alarm keeper is TS-private, so reach it at runtime: the next record() sets the alarm again.
    (this as unknown as { session: { alarms: { fired(): void } } }).session.alarms.fired();
  }
}

interface ProfileEnv {
  NOOP: DurableObjectNamespace<NoopObject>;
  RAWSQL: DurableObjectNamespace<RawSqlObject>;
  NOFLUSH: DurableObjectNamespace<NoFlushSessionObject>;
  NOINDEX: DurableObjectNamespace<NoIndexSessionObject>;
}
type Env = RealEnv & ProfileEnv;

const variants = new Hono<{ Bindings: Env; Variables: AppEnv["Variables"] }>()
  .use("*", async (c, next) => {
    const res = resourcesFor(c.env);
    c.set("res", res);
    c.set("config", res.config);
    await next();
  })
  .post("/p/:variant/:bot", async (c) => {
    const ctx = c as unknown as Parameters<typeof readVerified>[0];
    const name = c.req.param("bot");
    const source = findSource(ctx, name, "telegram");
    if (!source) return problem("unknown_source");
    const body = await readVerified(ctx, source, "telegram", source.secretEnv);
    if (!body.ok) return body.response;
    const update = parseBody(body.value, TelegramUpdate);
    if (!update.ok) return update.response;
    const event = normalizeTelegram(name, update.value, new Date().toISOString());
    const key = c.req.query("fresh") ? `fresh:${event.deliveryKey}` : event.sessionKey;
    const args = { event, retentionMs: 26 * 3600_000 };
    switch (c.req.param("variant")) {
      case "verify":
        return c.json({ status: "accepted", deliveryKey: event.deliveryKey });
      case "noop":
        return c.json(await c.env.NOOP.getByName(key).record(args));
      case "sql":
        return c.json(await c.env.RAWSQL.getByName(key).record(args));
      case "noflush": {
        const r = await c.env.NOFLUSH.getByName(key).record(args);
        return c.json({ status: r.status, deliveryKey: r.deliveryKey });
      }
      case "noindex": {
        const r = await c.env.NOINDEX.getByName(key).record(args);
        return c.json({ status: r.status, deliveryKey: r.deliveryKey });
      }
      case "full": {
        const r = await c.env.SESSIONS.getByName(key).record(args);
        return c.json({ status: r.status, deliveryKey: r.deliveryKey });
      }
      default:
        return problem("not_found");
    }
  })
  .all("*", (c) => hookline.fetch(c.req.raw, c.env, c.executionCtx));

export default { ...hookline, fetch: variants.fetch };
