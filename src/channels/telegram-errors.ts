import { GrammyError, HttpError } from "grammy/web";
import { ChannelError } from "./types.ts";

/** Telegram's answer when an edit would not change anything; harmless for streaming replies. */
const NOT_MODIFIED = /message is not modified/i;

/** True for the 400 Telegram returns when an edit repeats the message's current text. */
export function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 400 && NOT_MODIFIED.test(error.description);
}

/** Seconds Telegram asks us to wait (`parameters.retry_after` on a 429), if any. */
export function retryAfterSeconds(error: unknown): number | undefined {
  if (!(error instanceof GrammyError) || error.error_code !== 429) return undefined;
  const seconds = error.parameters.retry_after;
  return typeof seconds === "number" && seconds >= 0 ? seconds : undefined;
}

/**
 * Removes the bot token from text. grammY keeps URLs out of its own messages, but the underlying fetch
 * error (and a proxy's error page) can quote `…/bot<token>/sendMessage`; a token in a run log is a leak.
 */
export function scrubToken(text: string, token: string): string {
  return token === "" ? text : text.split(token).join("<redacted>");
}

const CODE_BY_STATUS: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  429: "rate_limited",
};

/**
 * Maps anything a grammY call throws to a ChannelError whose message never contains the token.
 * 429 and 5xx and network failures are retriable; 4xx (blocked bot, chat not found, bad token) are not,
 * and keep Telegram's own description because it says exactly what to fix.
 *
 * @example
 * try { await api.sendMessage(chatId, text) } catch (e) { throw toChannelError(e, "sendMessage", token) }
 */
export function toChannelError(error: unknown, method: string, token: string): ChannelError {
  if (error instanceof ChannelError) return error;
  if (error instanceof GrammyError) {
    const status = error.error_code;
    const description = scrubToken(error.description, token);
    const after = retryAfterSeconds(error);
    const migrateTo = error.parameters.migrate_to_chat_id;
    const hint = migrateTo === undefined ? "" : ` (the group is now supergroup ${migrateTo})`;
    return new ChannelError(`Telegram ${method} failed (${status}): ${description}${hint}`, {
      retriable: status === 429 || status >= 500,
      retryAfterMs: after === undefined ? undefined : after * 1000,
      status,
      code:
        migrateTo === undefined
          ? (CODE_BY_STATUS[status] ?? (status >= 500 ? "server_error" : "error"))
          : "chat_migrated",
    });
  }
  if (error instanceof HttpError) {
    // A non-JSON error page (a proxy, or an apiRoot that is not a Bot API server); see `httpStatusOf`.
    const status = httpStatusOf(error.error);
    const permanent = status !== undefined && status >= 400 && status < 500 && status !== 429;
    return new ChannelError(scrubToken(`Telegram ${method} failed: ${describeCause(error.error)}`, token), {
      retriable: !permanent,
      status,
      code: status === undefined ? "network" : "http_error",
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ChannelError(scrubToken(`Telegram ${method} failed: ${message}`, token), {
    retriable: true,
    code: "network",
  });
}

/** "fetch failed (ECONNREFUSED)" rather than grammY's generic "Network request … failed!". */
function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = cause && typeof cause === "object" && "code" in cause ? String(cause.code) : undefined;
  return code ? `${error.message} (${code})` : error.message;
}

/** The HTTP status carried by the error `telegramFetch` throws for a non-JSON error response. */
function httpStatusOf(error: unknown): number | undefined {
  const status = error && typeof error === "object" && "status" in error ? error.status : undefined;
  return typeof status === "number" ? status : undefined;
}

/**
 * Wraps `fetch` so a non-JSON error response (HTML from a proxy, a 404 from a wrong apiRoot) fails with
 * its status instead of a JSON parse error; grammY then reports it as an HttpError we can classify.
 */
export function telegramFetch(fetchImpl: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    const json = (response.headers.get("content-type") ?? "").includes("json");
    if (response.ok || json) return response;
    await response.body?.cancel();
    throw Object.assign(
      new Error(`HTTP ${response.status} ${response.statusText} (not a Bot API response)`),
      {
        status: response.status,
        statusText: response.statusText,
      },
    );
  };
}
