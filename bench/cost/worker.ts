/**
 * Bench-only worker for `npm run bench:cost` (bench/cost.ts): the real Hookline worker (src/index.ts: the app, the
 * queue consumers, the Durable Objects) with a cost meter around it (bench/cost/meter.ts). Never deployed; src/ is
 * only imported. Its wrangler config is generated from the root wrangler.toml by bench/cost.ts, with every
 * Durable Object binding's class mapped to `Metered<Class>` below.
 *
 *   GET  /__meter         the counters since the last reset (bench/cost/snapshot.ts); not counted itself
 *   POST /__meter/reset   zeroes the counters
 *   anything else         the real app, counted as one Worker fetch invocation
 *   queue()               the real consumers, counted as one Worker queue invocation per batch
 *
 * A new Durable Object class in src/index.ts needs one line here (the build fails until it has one).
 */

/**
 * Bench-only worker for `npm run bench:cost` (bench/cost.ts): the real Hookline worker (src/index.ts: the app, the
 * queue consumers, the Durable Objects) with a cost meter around it (bench/cost/meter.ts). Never deployed; src/ is
 * only imported. Its wrangler config is generated from the root wrangler.toml by bench/cost.ts, with every
 * Durable Object binding's class mapped to `Metered<Class>` below.
 *
 *   GET  /__meter         the counters since the last reset (bench/cost/snapshot.ts); not counted itself
 *   POST /__meter/reset   zeroes the counters
 *   anything else         the real app, counted as one Worker fetch invocation
 *   queue()               the real consumers, counted as one Worker queue invocation per batch
 *
 * A new Durable Object class in src/index.ts needs one line here (the build fails until it has one).
 */
import hookline, { OpsObject, RunObject, SessionObject } from "../../src/index.ts";
import { metered, meteredEnv, meterFetch, meterQueueBatch, reset, routeOf, snapshot } from "./meter.ts";

export const MeteredSessionObject = metered(SessionObject, "SessionObject");
export const MeteredRunObject = metered(RunObject, "RunObject");
export const MeteredOpsObject = metered(OpsObject, "OpsObject");

type Env = Parameters<typeof hookline.queue>[1];

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/__meter" && req.method === "GET") return Response.json(snapshot());
    if (path === "/__meter/reset" && req.method === "POST") {
      reset();
      return Response.json({ ok: true });
    }
    return meterFetch(routeOf(req), async () => hookline.fetch(req, meteredEnv(env), ctx));
  },
  async queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
    return meterQueueBatch(batch, () => hookline.queue(batch, meteredEnv(env), ctx));
  },
} satisfies ExportedHandler<Env, unknown>;
