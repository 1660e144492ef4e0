import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { problem } from "./problem.ts";

/** Webhook deliveries being handled in this isolate (or Node process) right now. */
let inflight = 0;

/**
 * Admission control for the webhook routes: at most `defaults.maxInflight` deliveries at once per isolate.
 * One more is answered 503 `overloaded` (`Retry-After: 2`) before any work, so an overloaded host sheds load
 * in microseconds and stays answerable (health checks, `/stop`'s own delivery once there is room) instead
 * of piling up requests whose senders have long since timed out and retried. A 503 is not an
 * acknowledgement: the sender keeps the delivery and sends it again, so nothing is lost.
 */
export const admission: MiddlewareHandler<AppEnv> = async (c, next) => {
  const max = c.get("config").defaults.maxInflight;
  if (inflight >= max) {
    return problem("overloaded", `more than ${max} deliveries in progress here; retry shortly`);
  }
  inflight++;
  try {
    await next();
  } finally {
    inflight--;
  }
};

/** How many deliveries are in progress (for tests and metrics). */
export function deliveriesInProgress(): number {
  return inflight;
}
