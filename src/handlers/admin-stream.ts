import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { requireAdmin } from "./admin.ts";
import type { AppEnv } from "./context.ts";

let bootedAt_: number | undefined;

/**
 * When this isolate or process started serving: taken at the first request, because workerd's clock reads 0
 * at module scope (time only moves inside a request), which made the uptime read 498,900 hours.
 */
export function bootedAt(): number {
  bootedAt_ ??= Date.now();
  return bootedAt_;
}

/** One poll of the operator feed waits this long for news; the stream sends a keep-alive between polls. */
const FEED_POLL_MS = 15_000;

/**
 * GET /admin/stream: Server-Sent Events feeding the dashboard. `hello` first (runtime, when this host
 * started), then every run event the EVENTS consumer hands the OpsObject's live feed (`event`, id
 * `<epoch>:<seq>`), `reset` when the feed's object restarted (its recent events are gone: reload the
 * lists). Each subscriber holds one outstanding call on the OpsObject, woken when a batch arrives.
 */
export const adminStream = new Hono<AppEnv>().use("*", requireAdmin).get("/", (c) => {
  const ops = c.get("res").ops();
  const [lastEpoch, lastSeq] = (c.req.header("last-event-id") ?? "").split(":");
  let epoch = lastEpoch || undefined;
  let after = Number(lastSeq) || 0;
  const runtime = c.get("res").runtime;
  const subscriber = crypto.randomUUID();
  return streamSSE(c, async (stream) => {
    let closed = false;
    stream.onAbort(() => {
      closed = true;
      ops.releaseSubscriber(subscriber).catch(() => {});
    });
    await stream.write("retry: 2000\n\n");
    await stream.writeSSE({
      event: "hello",
      data: JSON.stringify({ runtime, bootedAt: bootedAt(), now: Date.now() }),
    });
    let wait = 0;
    while (!closed) {
      const page = await ops.feedSince(after, epoch, wait, subscriber);
      if (page.epoch !== epoch) {
        if (epoch !== undefined)
          await stream.writeSSE({ event: "reset", data: JSON.stringify({ epoch: page.epoch }) });
        epoch = page.epoch;
        after = 0;
      }
      for (const { seq, event } of page.events) {
        await stream.writeSSE({ id: `${epoch}:${seq}`, event: "event", data: JSON.stringify(event) });
        after = seq;
      }
      if (page.events.length === 0) await stream.write(": keep-alive\n\n");
      wait = FEED_POLL_MS;
    }
  });
});
