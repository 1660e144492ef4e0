import { Hono } from "hono";
import { ConfigError } from "./config/load.ts";
import { admin, adminEvents } from "./handlers/admin.ts";
import { adminStream } from "./handlers/admin-stream.ts";
import { admission } from "./handlers/admission.ts";
import type { AppEnv } from "./handlers/context.ts";
import { dashboard } from "./handlers/dashboard.ts";
import { generic } from "./handlers/generic.ts";
import { health, live } from "./handlers/health.ts";
import { metrics } from "./handlers/metrics.ts";
import { openapi } from "./handlers/openapi.ts";
import { problem } from "./handlers/problem.ts";
import { runsApi } from "./handlers/runs.ts";
import { telegram } from "./handlers/telegram.ts";
import { whatsapp } from "./handlers/whatsapp.ts";
import type { Resources } from "./host/resources.ts";

/**
 * The whole HTTP surface, for any host: `resourcesOf` turns the runtime's bindings into `Resources`
 * (Workers: src/durable/resources.ts; Node: src/node/). Adding a channel is one file in handlers/ and one
 * line here.
 */
export function createApp(resourcesOf: (env: AppEnv["Bindings"]) => Resources) {
  return new Hono<AppEnv>()
    .get("/health/live", live) // liveness: ahead of the resources middleware, so it never does I/O
    .use("*", async (c, next) => {
      const res = resourcesOf(c.env);
      c.set("res", res);
      c.set("config", res.config);
      await next();
    })
    .use("/webhooks/*", admission)
    .route("/health", health)
    .route("/openapi.json", openapi)
    .route("/webhooks/telegram", telegram)
    .route("/webhooks/whatsapp", whatsapp)
    .route("/webhooks/in", generic)
    .route("/admin/events", adminEvents)
    .route("/admin/stream", adminStream)
    .route("/admin", admin)
    .route("/runs", runsApi)
    .route("/metrics", metrics)
    .route("/dashboard", dashboard)
    .notFound((c) => problem("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`))
    .onError((err) => {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return problem("config_invalid", "the deployed config is invalid; see the logs");
      }
      console.error(`unhandled error: ${err.stack ?? err.message}`);
      return problem("internal", "internal error");
    });
}
