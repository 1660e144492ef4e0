import type { Source } from "../config/schema.ts";
import { checkOutboundUrl } from "../core/net/ssrf.ts";
import { signStandardWebhooks } from "../core/sign/standard-webhooks.ts";
import type { Env } from "../env.ts";
import type { ReplyMessage } from "./run-store.ts";

export type ReplyOutcome = { ok: true } | { ok: false; retriable: boolean; reason: string };

/**
 * POSTs one reply to a generic source's callback URL, signed with Standard Webhooks so the receiver can
 * verify us with any Standard Webhooks library. Private addresses are refused unless allow-listed.
 */
export async function sendCallbackReply(
  env: Env,
  source: Source | undefined,
  reply: ReplyMessage,
  allowHosts: readonly string[],
): Promise<ReplyOutcome> {
  if (source?.channel !== "generic" || !source.reply)
    return { ok: false, retriable: false, reason: "no callback configured" };
  const secret = env[source.reply.secretEnv];
  if (typeof secret !== "string" || secret === "") {
    return { ok: false, retriable: true, reason: `${source.reply.secretEnv} is not set` };
  }
  const target = checkOutboundUrl(source.reply.url, allowHosts);
  if (!target.ok) return { ok: false, retriable: false, reason: `callback URL refused: ${target.reason}` };
  const body = new TextEncoder().encode(
    JSON.stringify({
      type: "run.reply",
      runId: reply.runId,
      stepId: reply.stepId,
      deliveryKey: reply.deliveryKey,
      text: reply.text,
    }),
  );
  const headers = await signStandardWebhooks({ rawBody: body, secret, now: Date.now(), id: reply.id });
  try {
    const res = await fetch(target.url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    if (res.ok) return { ok: true };
    return {
      ok: false,
      retriable: res.status === 408 || res.status === 429 || res.status >= 500,
      reason: `callback answered ${res.status}`,
    };
  } catch (err) {
    return { ok: false, retriable: true, reason: `callback unreachable: ${(err as Error).message}` };
  }
}
