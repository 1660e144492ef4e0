import { z } from "zod";
import { redactSecrets } from "../core/redact-secrets.ts";
import { retryAfterMs } from "../engine/errors/retry-after-error.ts";
import { ChannelError } from "./types.ts";

/** How long to wait after a rate limit when neither `Retry-After` nor Meta's usage header says. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

/** Graph's error envelope: https://developers.facebook.com/docs/graph-api/guides/error-handling */
const GraphErrorBody = z.looseObject({
  error: z.looseObject({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/**
 * Pair (131056), throughput (130429), account (80007) and app (4) rate limits. 131048 ("spam rate
 * limit") is left out on purpose: it lifts only after the number's quality recovers, not in seconds.
 */
const RATE_LIMITED = new Set([4, 80007, 130429, 131056]);
/** Graph's "temporary, retry later" codes, whatever the HTTP status says. */
const TRANSIENT = new Set([1, 2, 131000, 131016]);

/**
 * What a Cloud API error code means and what fixes it. The same codes arrive asynchronously in a
 * status webhook's `statuses[].errors[]`, so the inbound side can use this too.
 * Codes: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
 *
 * @example
 * whatsAppErrorHint(131047); // "more than 24 hours have passed since the user's last message: …"
 */
export function whatsAppErrorHint(code: number, tokenName = "the WhatsApp access token"): string | undefined {
  switch (code) {
    case 190:
      return `the access token is expired or invalid: refresh ${tokenName} (a system user token does not expire)`;
    case 10:
    case 200:
    case 131005:
      return `the access token lacks the whatsapp_business_messaging permission for this number: issue ${tokenName} again with it`;
    case 100:
      return "invalid parameter: check the phone number id, the recipient (digits with country code) and the message payload";
    case 131008:
    case 131009:
      return "a required parameter is missing or has an invalid value: check the message payload";
    case 131047:
      return "more than 24 hours have passed since the user's last message: a free-form reply is no longer allowed, send an approved template message instead";
    case 131026:
      return "message undeliverable: the recipient may not use WhatsApp, may run an old app version, or has not accepted the latest terms";
    case 131030:
      return "the recipient is not in the allowed list: a test number may only message numbers added under API Setup in the Meta dashboard";
    case 133010:
      return "the phone number is not registered with the Cloud API: register it (POST /{phone-number-id}/register)";
    case 368:
      return "the account is temporarily blocked for policy violations: see WhatsApp Manager";
    case 131056:
      return "pair rate limit: too many messages to this user in a short time";
    case 130429:
      return "throughput limit reached for this phone number";
    case 80007:
      return "the WhatsApp Business Account hit its rate limit";
    case 4:
      return "the app hit its Graph API call rate limit";
    case 131048:
      return "spam rate limit: too many messages from this number were blocked or reported; improve message quality";
    default:
      return undefined;
  }
}

export interface GraphFailureInput {
  /** What we were doing, for the message: "sendText", "markRead"… */
  action: string;
  status: number;
  /** The response body, parsed as JSON when it was JSON, else its text. */
  body: unknown;
  headers: Headers;
  now: number;
  tokenName: string;
  /** Strings that must never appear in the message (the access token). */
  secrets: string[];
}

/**
 * Maps a failed Graph response to a ChannelError with a message naming the fix. Rate limits and
 * 5xx are retriable; a rate limit always carries `retryAfterMs` (header, usage header or 1 s).
 *
 * @example
 * throw toWhatsAppError({ action: "sendText", status: 401, body, headers, now: Date.now(), tokenName, secrets: [token] });
 */
export function toWhatsAppError(input: GraphFailureInput): ChannelError {
  const parsed = GraphErrorBody.safeParse(input.body);
  const graph = parsed.success ? parsed.data.error : undefined;
  const code = graph?.code;
  const rateLimited = input.status === 429 || (code !== undefined && RATE_LIMITED.has(code));
  const retriable = rateLimited || input.status >= 500 || (code !== undefined && TRANSIENT.has(code));
  const headerWait = retryAfterMs(input.headers.get("retry-after"), input.now) ?? usageWaitMs(input.headers);
  const wait = rateLimited ? (headerWait ?? DEFAULT_RATE_LIMIT_WAIT_MS) : retriable ? headerWait : undefined;

  const what = graph
    ? `Graph error ${code ?? "?"}${graph.error_subcode ? `/${graph.error_subcode}` : ""} (HTTP ${input.status}): ${graph.message ?? graph.type ?? "no message"}${graph.error_data?.details ? ` (${graph.error_data.details})` : ""}`
    : `HTTP ${input.status}: ${(typeof input.body === "string" ? input.body : JSON.stringify(input.body)).slice(0, 200) || "empty body"}`;
  const hint =
    (code === undefined ? undefined : whatsAppErrorHint(code, input.tokenName)) ??
    (input.status >= 500 ? "Meta's side failed; retry later" : undefined);
  const trace = graph?.fbtrace_id ? ` [fbtrace_id ${graph.fbtrace_id}]` : "";
  const message = redact(
    `WhatsApp ${input.action} failed: ${what}${hint ? ` — ${hint}` : ""}${trace}`,
    input.secrets,
  );
  return new ChannelError(message, {
    retriable,
    status: input.status,
    ...(code === undefined ? {} : { code: String(code) }),
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
}

/**
 * Meta's `X-Business-Use-Case-Usage` header: `{ "<id>": [{ estimated_time_to_regain_access: <minutes> }] }`.
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting
 */
function usageWaitMs(headers: Headers): number | undefined {
  const raw = headers.get("x-business-use-case-usage");
  if (!raw) return undefined;
  try {
    const usage = JSON.parse(raw) as Record<string, Array<{ estimated_time_to_regain_access?: unknown }>>;
    const minutes = Object.values(usage)
      .flat()
      .map((u) => Number(u?.estimated_time_to_regain_access))
      .filter((m) => Number.isFinite(m) && m > 0);
    return minutes.length === 0 ? undefined : Math.max(...minutes) * 60_000;
  } catch {
    return undefined;
  }
}

/** Replaces every secret in `text`; Graph may echo a malformed token back in its message. */
export function redact(text: string, secrets: string[]): string {
  return redactSecrets(
    text,
    secrets.filter((secret) => secret.length >= 4),
  );
}
