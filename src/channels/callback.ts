import type { Source } from "../config/schema.ts";
import { checkOutboundUrl } from "../core/net/ssrf.ts";
import type { Secrets } from "../core/secrets.ts";
import { signStandardWebhooks } from "../core/sign/standard-webhooks.ts";

/** The body of a signed callback reply. `id` doubles as the Standard Webhooks `webhook-id`. */
export interface ReplyMessage {
  id: string;
  runId: string;
  stepId: string;
  deliveryKey: string | null;
  text: string;
}

export type ReplyOutcome = { ok: true } | { ok: false; retriable: boolean; reason: string };

/**
 * POSTs one reply to a generic source's callback URL, signed with Standard Webhooks so the receiver can
 * verify us with any Standard Webhooks library. Private addresses are refused unless allow-listed.
 */
export async function sendCallbackReply(
  secrets: Secrets,
  source: Source | undefined,
  reply: ReplyMessage,
  allowHosts: readonly string[],
  fetchImpl: typeof fetch = (input, init) => fetch(input, init),
): Promise<ReplyOutcome> {
  if (source?.channel !== "generic" || !source.reply)
    return { ok: false, retriable: false, reason: "no callback configured" };
  const secret = secrets[source.reply.secretEnv];
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
    const res = await fetchImpl(target.url, {
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
