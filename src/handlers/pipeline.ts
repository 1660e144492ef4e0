import type { z } from "zod";
import { retentionOf, type Source } from "../config/schema.ts";
import type { InboundEvent } from "../core/inbound-event.ts";
import { readBodyWithLimit } from "../core/read-body.ts";
import type { Secrets } from "../core/secrets.ts";
import { verifiers } from "../core/verify/index.ts";
import type { Scheme, Secret } from "../core/verify/types.ts";
import type { Resources } from "../host/resources.ts";
import type { RecordResult } from "../host/session.ts";
import type { Intent } from "../session/intent-schema.ts";
import type { AppContext } from "./context.ts";
import { problem } from "./problem.ts";

export type Step<T> = { ok: true; value: T } | { ok: false; response: Response };

/** Secret values for the env var names a source lists; unset or empty names are simply absent. */
export function secretsFrom(secrets: Secrets, names: readonly string[]): Secret[] {
  return names.flatMap((id) => {
    const value = secrets[id];
    return typeof value === "string" && value !== "" ? [{ id, value }] : [];
  });
}

/**
 * Steps 1 and 2 of every ingress: the size limit, then verification of the raw bytes. Nothing is parsed
 * before the signature holds.
 */
export async function readVerified(
  c: AppContext,
  source: Source,
  scheme: Scheme,
  secretEnv: readonly string[],
): Promise<Step<Uint8Array>> {
  const maxBytes = source.maxBodyBytes ?? c.get("config").defaults.maxBodyBytes;
  const body = await readBodyWithLimit(c.req.raw, maxBytes);
  if (!body.ok)
    return { ok: false, response: problem("payload_too_large", `body exceeds ${maxBytes} bytes`) };
  const verdict = await verifiers[scheme]({
    rawBody: body.bytes,
    headers: c.req.raw.headers,
    secrets: secretsFrom(c.get("res").secrets, secretEnv),
    now: Date.now(),
    toleranceSec: "toleranceSec" in source ? source.toleranceSec : undefined,
  });
  if (!verdict.ok) return { ok: false, response: problem(verdict.reason) };
  return { ok: true, value: body.bytes };
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Step 3: JSON, then the channel's schema. A 400 names the path that is wrong. */
export function parseBody<S extends z.ZodType>(bytes: Uint8Array, schema: S): Step<z.infer<S>> {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    return { ok: false, response: problem("malformed_json", `body is not JSON: ${(err as Error).message}`) };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const path =
    issue?.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("") || "(root)";
  return {
    ok: false,
    response: problem("invalid_payload", `${path.replace(/^\./, "")}: ${issue?.message}`, {
      path: path.replace(/^\./, ""),
    }),
  };
}

/**
 * Step 5: the durable record, in the event's SessionObject. Only its reply lets us acknowledge; any failure
 * is a 503 so the sender retries, because a delivery that was not kept must not be acknowledged.
 *
 * The deliveries of one session (a WhatsApp POST can carry a burst from one user) are recorded one after
 * another, in the order the body lists them, so the chat queues, collects and answers them in that order;
 * a session's `record` awaits before it writes, so calls made side by side could land in any order.
 * Different sessions are recorded side by side.
 */
export async function recordEvents(
  res: Resources,
  source: Source,
  items: readonly { event: InboundEvent; intent?: Intent; decision?: { event: string; data: object } }[],
): Promise<Step<RecordResult[]>> {
  const retentionMs = retentionOf(source);
  const bySession = new Map<string, number[]>();
  items.forEach(({ event }, i) => {
    const indexes = bySession.get(event.sessionKey);
    if (indexes) indexes.push(i);
    else bySession.set(event.sessionKey, [i]);
  });
  try {
    const results: RecordResult[] = new Array(items.length);
    await Promise.all(
      [...bySession.values()].map(async (indexes) => {
        for (const i of indexes) {
          const { event, intent, decision } = items[i] as (typeof items)[number];
          results[i] = await res.sessions.getByName(event.sessionKey).record({
            event,
            retentionMs,
            intent,
            decision: decision as { event: string; data: Record<string, unknown> } | undefined,
          });
        }
      }),
    );
    return { ok: true, value: results };
  } catch (err) {
    console.error(`recording ${items.length} delivery(ies) for source failed: ${(err as Error).message}`);
    return { ok: false, response: problem("not_recorded") };
  }
}

/**
 * The acknowledgement: 200 for a duplicate, so the sender stops retrying; 202 with the run id when the
 * delivery starts a run (a duplicate names the same run); 200 otherwise.
 */
export function acknowledge(result: RecordResult, runToken?: string): Response {
  const run = result.runId ? { runId: result.runId, ...(runToken && { runToken }) } : {};
  if (result.status === "duplicate") {
    return Response.json({
      status: "duplicate",
      deliveryKey: result.deliveryKey,
      seenCount: result.seenCount,
      ...run,
    });
  }
  return Response.json(
    { status: result.status, deliveryKey: result.deliveryKey, ...run },
    { status: result.runId ? 202 : 200 },
  );
}
