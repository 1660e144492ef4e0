import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from "node:sqlite";
import type { SqlCursor, SqlPort, SqlValue } from "../host/ports.ts";
import { Cursor, fixRow, toBinding } from "./sql-cursor.ts";
import { type SqlPart, splitSql } from "./sql-split.ts";

/** A query string once split, with each statement prepared on first use. */
interface Plan {
  parts: (SqlPart & { stmt?: StatementSync })[];
}

/** Prepared plans kept per database; distinct query strings are few (drizzle's and ours are constants). */
export const DEFAULT_STATEMENT_CACHE = 256;

/**
 * `ctx.storage.sql` over a `node:sqlite` database, close to workerd's `SqlStorage.exec`: bindings are
 * positional, a query may hold several `;`-separated statements (all run; only the last may have
 * parameters and only its rows are returned), and the cursor is eager.
 *
 * `rowsRead` / `rowsWritten` are approximations (node:sqlite exposes no scan counters): rows returned,
 * and `changes` for INSERT/UPDATE/DELETE (rows returned for a RETURNING statement).
 *
 * @example
 * const sql = createSqlPort(new DatabaseSync(":memory:"));
 * sql.exec("CREATE TABLE t (a); INSERT INTO t VALUES (1)");
 * sql.exec<{ a: number }>("SELECT a FROM t WHERE a = ?", 1).one(); // { a: 1 }
 */
export function createSqlPort(db: DatabaseSync, maxPlans = DEFAULT_STATEMENT_CACHE): SqlPort {
  // Map iteration order is insertion order: re-inserting on use makes the first key the least recent.
  const plans = new Map<string, Plan>();
  const planFor = (query: string): Plan => {
    let plan = plans.get(query);
    if (plan) {
      plans.delete(query);
    } else {
      plan = { parts: splitSql(query) };
      if (plans.size >= maxPlans) plans.delete(plans.keys().next().value as string);
    }
    plans.set(query, plan);
    return plan;
  };

  return {
    exec<T extends Record<string, SqlValue>>(query: string, ...bindings: unknown[]): SqlCursor<T> {
      const params = bindings.map(toBinding);
      const { parts } = planFor(query);
      const last = parts.length - 1;
      for (let i = 0; i < last; i++) {
        if (parts[i]?.hasParams) {
          throw new Error(
            "When executing multiple SQL statements in a single call, only the last statement can have parameters.",
          );
        }
      }
      let read = 0;
      let written = 0;
      let result: Result = { rows: [], columnNames: [], rowsRead: 0, rowsWritten: 0 };
      parts.forEach((part, i) => {
        part.stmt ??= prepare(db, part.sql);
        result = run(part.stmt, part, i === last ? params : []);
        read += result.rowsRead;
        written += result.rowsWritten;
      });
      return new Cursor<T>(result.rows, result.columnNames, read, written);
    },
  };
}

interface Result {
  rows: SqlValue[][];
  columnNames: string[];
  rowsRead: number;
  rowsWritten: number;
}

function prepare(db: DatabaseSync, sql: string): StatementSync {
  const stmt = db.prepare(sql);
  // Arrays serve both views: raw() as is, objects built per row (and duplicate column names survive raw()).
  stmt.setReturnArrays(true);
  return stmt;
}

function run(stmt: StatementSync, part: SqlPart, params: SQLInputValue[]): Result {
  // Asked on every run: a schema change re-prepares the statement and may change `SELECT *`'s columns.
  const columns = stmt.columns();
  if (columns.length === 0) {
    const { changes } = stmt.run(...params);
    // DDL leaves `changes` at the previous DML's count, so only DML reports it.
    const n = part.dml ? Number(changes) : 0;
    return { rows: [], columnNames: [], rowsRead: n, rowsWritten: n };
  }
  const rows = (stmt.all(...params) as unknown as SQLOutputValue[][]).map(fixRow);
  const names = columns.map((c) => c.name);
  return { rows, columnNames: names, rowsRead: rows.length, rowsWritten: part.returning ? rows.length : 0 };
}
