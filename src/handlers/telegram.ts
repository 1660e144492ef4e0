import { Hono } from "hono";
import { normalizeTelegram, TelegramUpdate } from "../core/inbound/telegram.ts";
import { chatIntent } from "../session/intent.ts";
import { type AppEnv, findSource } from "./context.ts";
import { acknowledge, parseBody, readVerified, recordEvents } from "./pipeline.ts";
import { problem } from "./problem.ts";

/** POST /webhooks/telegram/:bot: one Bot API update per request, keyed by update_id. */
export const telegram = new Hono<AppEnv>().post("/:bot", async (c) => {
  const name = c.req.param("bot");
  const source = findSource(c, name, "telegram");
  if (!source) return problem("unknown_source", `no telegram bot named "${name}" in hookline.yaml`);
  const body = await readVerified(c, source, "telegram", source.secretEnv);
  if (!body.ok) return body.response;
  const update = parseBody(body.value, TelegramUpdate);
  if (!update.ok) return update.response;
  const event = normalizeTelegram(name, update.value, new Date().toISOString());
  const items = [{ event, ...chatIntent(c.get("config"), name, source, event) }];
  const recorded = await recordEvents(c.get("res"), source, items);
  if (!recorded.ok) return recorded.response;
  return acknowledge(recorded.value[0] as (typeof recorded.value)[0]);
});
