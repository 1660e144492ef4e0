import { type Cursor, decodeCursor } from "../history/cursor.ts";
import { problem } from "./problem.ts";
import { parseSince } from "./query.ts";

export const RUN_STATUSES = [
  "running",
  "waiting",
  "completed",
  "failed",
  "cancelled",
  "governor_breached",
] as const;

export interface ListParams {
  since?: number;
  until?: number;
  cursor?: Cursor;
  limit: number;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

/** `since`, `until` (ISO 8601 or epoch ms), `cursor` (from `nextCursor`) and `limit` (1–500, default 100). */
export function parseListParams(query: Record<string, string | undefined>): Parsed<ListParams> {
  const since = parseSince(query.since);
  if (since === null) return bad("since must be an ISO 8601 time or epoch milliseconds");
  const until = parseSince(query.until);
  if (until === null) return bad("until must be an ISO 8601 time or epoch milliseconds");
  const limit = query.limit === undefined || query.limit === "" ? 100 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    return bad("limit must be an integer from 1 to 500");
  let cursor: Cursor | undefined;
  if (query.cursor) {
    const decoded = decodeCursor(query.cursor);
    if (!decoded)
      return bad("cursor is not one this API returned: pass nextCursor from the previous page as is");
    cursor = decoded;
  }
  return { ok: true, value: { since, until, cursor, limit } };
}

function bad(message: string): { ok: false; response: Response } {
  return { ok: false, response: problem("bad_query", message) };
}

export { iso } from "../host/run-trace.ts";
