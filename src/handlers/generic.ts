import { Hono } from "hono";
import { z } from "zod";
import { normalizeGeneric } from "../core/inbound/generic.ts";
import { genericIntent } from "../session/intent.ts";
import { type AppEnv, findSource } from "./context.ts";
import { acknowledge, parseBody, readVerified, recordEvents } from "./pipeline.ts";
import { problem } from "./problem.ts";
import { adminKey, runTokenFor } from "./run-token.ts";

/** Generic senders send a JSON document; what it means is the workflow's business. */
const AnyJson = z.unknown();

/** POST /webhooks/in/:source: a signed sender whose scheme (standard-webhooks, github, stripe) is set in config. */
export const generic = new Hono<AppEnv>().post("/:source", async (c) => {
  const name = c.req.param("source");
  const source = findSource(c, name, "generic");
  if (!source) return problem("unknown_source", `no generic source named "${name}" in hookline.yaml`);
  const body = await readVerified(c, source, source.scheme, source.secretEnv);
  if (!body.ok) return body.response;
  const json = parseBody(body.value, AnyJson);
  if (!json.ok) return json.response;
  const normalized = normalizeGeneric({
    source: name,
    scheme: source.scheme,
    headers: c.req.raw.headers,
    body: json.value,
    receivedAt: new Date().toISOString(),
    sessionPointer: source.sessionKey,
  });
  if (!normalized.ok) return problem("missing_delivery_id", normalized.message);
  const recorded = await recordEvents(c.get("res"), source, [
    { event: normalized.event, intent: genericIntent(name, source) },
  ]);
  if (!recorded.ok) return recorded.response;
  const result = recorded.value[0] as (typeof recorded.value)[0];
  // The sender may poll its own run with this token (GET /runs/:id), without the admin token.
  const key = adminKey(c);
  const token = result.runId && key ? await runTokenFor(key, result.runId) : undefined;
  return acknowledge(result, token);
});
