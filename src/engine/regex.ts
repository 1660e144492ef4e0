import type { ExprContext } from "./context.ts";
import { type ExprResult, evaluate } from "./expr.ts";

// Patterns run through CEL's `matches`, which is RE2: linear time, so a rule cannot be made to backtrack
// for seconds on a crafted message. That also rules out lookbehind and backreferences, and allows `(?i)`.
const SEARCH = "input.text.matches(input.pattern)";

function context(text: string, pattern: string): ExprContext {
  return {
    input: { text, pattern },
    event: null,
    steps: {},
    run: { id: "", workflow: "", startedAt: 0 },
    item: null,
    index: null,
  };
}

/**
 * Searches `text` for an RE2 pattern (anywhere in the text, like JS `test`).
 *
 * @example searchText("Refund please", "(?i)refund"); // { ok: true, value: true }
 */
export function searchText(text: string, pattern: string): ExprResult {
  return evaluate(SEARCH, context(text, pattern));
}

/**
 * Returns why a pattern is not valid RE2, or undefined.
 *
 * @example checkPattern("(?<=a)b"); // "error parsing regexp: invalid named capture: `(?<=a)b`"
 */
export function checkPattern(pattern: string): string | undefined {
  const result = searchText("", pattern);
  return result.ok ? undefined : result.error;
}
