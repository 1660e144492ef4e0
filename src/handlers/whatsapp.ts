import { Hono } from "hono";
import { normalizeWhatsApp, WhatsAppWebhook } from "../core/inbound/whatsapp.ts";
import { checkMetaHandshake } from "../core/verify/meta.ts";
import { chatIntent } from "../session/intent.ts";
import { type AppEnv, findSource } from "./context.ts";
import { parseBody, readVerified, recordEvents, secretsFrom } from "./pipeline.ts";
import { problem } from "./problem.ts";

/**
 * GET /webhooks/whatsapp/:app answers Meta's verify-token handshake by echoing hub.challenge.
 * POST /webhooks/whatsapp/:app takes a signed batch: each message is its own delivery (keyed by wamid),
 * statuses are recorded but start nothing.
 */
export const whatsapp = new Hono<AppEnv>()
  .get("/:app", (c) => {
    const name = c.req.param("app");
    const source = findSource(c, name, "whatsapp");
    if (!source) return problem("unknown_source", `no whatsapp app named "${name}" in hookline.yaml`);
    const verdict = checkMetaHandshake({
      query: new URL(c.req.url).searchParams,
      verifyTokens: secretsFrom(c.get("res").secrets, source.verifyTokenEnv),
    });
    if (!verdict.ok) {
      return verdict.reason === "no_secret"
        ? problem("no_secret", "this app has no verify token configured")
        : problem(verdict.reason);
    }
    return c.text(verdict.challenge);
  })
  .post("/:app", async (c) => {
    const name = c.req.param("app");
    const source = findSource(c, name, "whatsapp");
    if (!source) return problem("unknown_source", `no whatsapp app named "${name}" in hookline.yaml`);
    const body = await readVerified(c, source, "meta", source.appSecretEnv);
    if (!body.ok) return body.response;
    const payload = parseBody(body.value, WhatsAppWebhook);
    if (!payload.ok) return payload.response;
    const normalized = normalizeWhatsApp(name, payload.value, new Date().toISOString());
    if (!normalized.ok) {
      return problem("invalid_payload", `${normalized.path}: ${normalized.message}`, {
        path: normalized.path,
      });
    }
    const config = c.get("config");
    const items = normalized.events.map((event) => ({ event, ...chatIntent(config, name, source, event) }));
    const recorded = await recordEvents(c.get("res"), source, items);
    if (!recorded.ok) return recorded.response;
    const deliveries = recorded.value.map((r) => ({
      deliveryKey: r.deliveryKey,
      status: r.status,
      ...(r.runId ? { runId: r.runId } : {}),
    }));
    const messages = normalized.events.filter((e) => e.kind === "message").length;
    return c.json({ status: "ok", messages, statuses: normalized.events.length - messages, deliveries });
  });
