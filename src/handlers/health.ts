import { Hono } from "hono";
import type { AppEnv } from "./context.ts";

/** GET /health: liveness plus the routes this deployment serves, derived from the config. */
export const health = new Hono<AppEnv>().get("/", (c) => {
  const sources = Object.entries(c.get("config").sources).map(([name, s]) => ({
    name,
    channel: s.channel,
    route:
      s.channel === "telegram"
        ? `/webhooks/telegram/${name}`
        : s.channel === "whatsapp"
          ? `/webhooks/whatsapp/${name}`
          : `/webhooks/in/${name}`,
  }));
  const runtime = c.get("res").runtime;
  return c.json({ status: "ok", env: c.env.HOOKLINE_ENV ?? null, runtime, sources });
});
