/** One statement of a query string, with what the cursor needs to know about it. */
export interface SqlPart {
  /** The statement text without its trailing `;`. */
  readonly sql: string;
  /** It has `?`, `?NNN`, `:name`, `@name` or `$name` parameters. */
  readonly hasParams: boolean;
  /** INSERT / UPDATE / DELETE / REPLACE (also behind a WITH): `changes` counts its rows written. */
  readonly dml: boolean;
  /** It has a RETURNING clause (rows returned are rows written). */
  readonly returning: boolean;
}

const DML = new Set(["INSERT", "UPDATE", "DELETE", "REPLACE"]);
const isWordStart = (c: string) => /[A-Za-z_]/.test(c);
const isWordChar = (c: string) => /[A-Za-z0-9_$]/.test(c);

/**
 * Splits a query string into its statements, as SQLite's own tail-by-tail prepare would: `;` ends a
 * statement unless it is inside a string, a quoted identifier, a comment or a trigger body
 * (`CREATE TRIGGER … BEGIN …; …; END`). Statements that hold only whitespace and comments are dropped.
 * `node:sqlite`'s `prepare` silently ignores everything after the first statement, so workerd's
 * "a query may hold several statements" needs this.
 *
 * @example
 * splitSql("CREATE TABLE t (a); INSERT INTO t VALUES ('x;y')").map((p) => p.sql)
 * // ["CREATE TABLE t (a)", " INSERT INTO t VALUES ('x;y')"]
 */
export function splitSql(query: string): SqlPart[] {
  const parts: SqlPart[] = [];
  let start = 0;
  let hasCode = false;
  let hasParams = false;
  let first = "";
  let dml = false;
  let returning = false;
  // Trigger bodies: CREATE … TRIGGER seen → after BEGIN, `;` only ends the statement after the matching END.
  let trigger = false;
  let inBody = false;
  let caseDepth = 0;
  let lastWord = "";
  const end = (at: number) => {
    if (hasCode) parts.push({ sql: query.slice(start, at), hasParams, dml, returning });
    start = at + 1;
    hasCode = hasParams = dml = returning = trigger = inBody = false;
    first = lastWord = "";
    caseDepth = 0;
  };
  let i = 0;
  while (i < query.length) {
    const c = query[i] as string;
    const next = query[i + 1];
    if (c === "-" && next === "-") {
      const nl = query.indexOf("\n", i);
      i = nl === -1 ? query.length : nl + 1;
      continue;
    }
    if (c === "/" && next === "*") {
      const close = query.indexOf("*/", i + 2);
      i = close === -1 ? query.length : close + 2;
      continue;
    }
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      // A doubled quote ('it''s') is two adjacent strings to this scanner, which is the same for splitting.
      const close = query.indexOf(c === "[" ? "]" : c, i + 1);
      i = close === -1 ? query.length : close + 1;
      hasCode = true;
      lastWord = "";
      continue;
    }
    if (c === ";") {
      if (!inBody || lastWord === "END") end(i);
      i++;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < query.length && isWordChar(query[j] as string)) j++;
      const word = query.slice(i, j).toUpperCase();
      hasCode = true;
      if (!first) first = word;
      if (DML.has(word) && (first === word || first === "WITH")) dml = true;
      if (word === "RETURNING") returning = true;
      if (first === "CREATE" && word === "TRIGGER") trigger = true;
      if (trigger && word === "BEGIN" && !inBody) inBody = true;
      else if (inBody && word === "CASE") caseDepth++;
      else if (inBody && word === "END" && caseDepth > 0) {
        // A CASE's END is not the trigger's END: forget it so a following `;` keeps scanning.
        caseDepth--;
        i = j;
        lastWord = "";
        continue;
      }
      lastWord = word;
      i = j;
      continue;
    }
    if (c === "?" || ((c === ":" || c === "@" || c === "$") && next !== undefined && isWordStart(next))) {
      hasParams = true;
    }
    if (!/\s/.test(c)) {
      hasCode = true;
      lastWord = "";
    }
    i++;
  }
  end(query.length);
  return parts;
}
