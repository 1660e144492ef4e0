import { and, eq, lt, or, type SQL } from "drizzle-orm";
/**
 * Opaque cursors for newest-first lists: the last row's time and id, so a page never repeats or skips a row
 * even when many share one millisecond. The same format serves Postgres and the Durable Object index.
 */
export interface Cursor {
  at: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([c.at, c.id]));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The cursor, or null when the text is not one of ours. */
export function decodeCursor(text: string): Cursor | null {
  try {
    const bin = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const parsed: unknown = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0))),
    );
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      Number.isFinite(parsed[0]) &&
      typeof parsed[1] === "string"
    ) {
      return { at: parsed[0], id: parsed[1] };
    }
    return null;
  } catch {
    return null;
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A page from `limit + 1` rows: the extra row only says that there is a next page. */
export function page<T>(rows: T[], limit: number, key: (row: T) => Cursor): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

type Column = Parameters<typeof lt>[0];

/** Rows strictly after the cursor in (time desc, id desc) order: the same predicate for Postgres and SQLite. */
export function olderThan(at: Column, id: Column, c: Cursor): SQL | undefined {
  return or(lt(at, c.at), and(eq(at, c.at), lt(id, c.id)));
}
