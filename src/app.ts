import { Hono } from "hono";
import { ConfigError } from "./config/load.ts";
import { configFor } from "./config/runtime.ts";
import { admin } from "./handlers/admin.ts";
import type { AppEnv } from "./handlers/context.ts";
import { generic } from "./handlers/generic.ts";
import { health } from "./handlers/health.ts";
import { problem } from "./handlers/problem.ts";
import { runsApi } from "./handlers/runs.ts";
import { telegram } from "./handlers/telegram.ts";
import { whatsapp } from "./handlers/whatsapp.ts";

/** The whole HTTP surface. Adding a channel is one file in handlers/ and one line here. */
export const app = new Hono<AppEnv>()
  .use("*", async (c, next) => {
    c.set("config", configFor(c.env.HOOKLINE_ENV));
    await next();
  })
  .route("/health", health)
  .route("/webhooks/telegram", telegram)
  .route("/webhooks/whatsapp", whatsapp)
  .route("/webhooks/in", generic)
  .route("/admin", admin)
  .route("/runs", runsApi)
  .notFound((c) => problem("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`))
  .onError((err) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return problem("config_invalid", "the deployed config is invalid; see the worker logs");
    }
    console.error(`unhandled error: ${err.stack ?? err.message}`);
    return problem("internal", "internal error");
  });
