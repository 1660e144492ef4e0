import type { SQLInputValue, SQLOutputValue } from "node:sqlite";
import type { SqlCursor, SqlValue } from "../host/ports.ts";

/**
 * Converts one `exec` binding the way workerd accepts it: null, number, string, bigint, ArrayBuffer or a
 * typed array; booleans become 0/1 (SQLite has no boolean). `undefined` is an error, as in workerd, because
 * binding it as NULL would hide a missing argument.
 *
 * @example
 * toBinding(true, 0) // 1
 */
export function toBinding(value: unknown, index: number): SQLInputValue {
  switch (typeof value) {
    case "string":
    case "number":
    case "bigint":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "undefined":
      throw new TypeError(`Wrong type for SQL binding ${index + 1}: undefined (pass null for NULL)`);
  }
  if (value === null) return null;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`Wrong type for SQL binding ${index + 1}: ${Object.prototype.toString.call(value)}`);
}

/** node:sqlite returns BLOBs as Uint8Array; workerd returns ArrayBuffer. Converts a row in place. */
export function fixRow(row: SQLOutputValue[]): SqlValue[] {
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (v instanceof Uint8Array) row[i] = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as never;
    // Integers beyond 2^53 are read as numbers by workerd; node:sqlite throws instead (readBigInts is off).
  }
  return row as SqlValue[];
}

/**
 * A workerd-shaped cursor over rows already read. Execution is eager (the statement has run to completion
 * when `exec` returns), so a write is done even if nobody reads the cursor, as drizzle's `run()` expects,
 * and a cached statement is free for the next `exec` at once. The object view and `raw()` share one
 * position, as in workerd.
 */
export class Cursor<T> implements SqlCursor<T> {
  private pos = 0;
  private readonly rows: SqlValue[][];
  readonly columnNames: string[];
  readonly rowsRead: number;
  readonly rowsWritten: number;

  constructor(rows: SqlValue[][], columnNames: string[], rowsRead: number, rowsWritten: number) {
    this.rows = rows;
    this.columnNames = columnNames;
    this.rowsRead = rowsRead;
    this.rowsWritten = rowsWritten;
  }

  private objectAt(i: number): T {
    const row = this.rows[i] as SqlValue[];
    const out: Record<string, SqlValue> = {};
    for (let c = 0; c < this.columnNames.length; c++) out[this.columnNames[c] as string] = row[c] ?? null;
    return out as T;
  }

  next(): IteratorResult<T, undefined> {
    if (this.pos >= this.rows.length) return { done: true, value: undefined };
    return { done: false, value: this.objectAt(this.pos++) };
  }

  [Symbol.iterator](): Iterator<T, undefined> {
    return this;
  }

  /** The remaining rows as objects. */
  toArray(): T[] {
    const out: T[] = [];
    while (this.pos < this.rows.length) out.push(this.objectAt(this.pos++));
    return out;
  }

  /** Exactly one remaining row, or an error with workerd's message. */
  one(): T {
    const left = this.rows.length - this.pos;
    if (left === 0) throw new Error("Expected exactly one result from SQL query, but got no results.");
    if (left > 1) throw new Error("Expected exactly one result from SQL query, but got multiple results.");
    return this.objectAt(this.pos++);
  }

  /**
   * The remaining rows as value arrays (column order), e.g. for drizzle's `values()`. A generator, so it
   * has the Iterator helpers (`.toArray()`, `.map()`), as workerd's iterator does and drizzle relies on.
   */
  *raw(): Generator<SqlValue[], undefined> {
    while (this.pos < this.rows.length) yield this.rows[this.pos++] as SqlValue[];
    return undefined;
  }
}
