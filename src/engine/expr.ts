import { celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import type { ExprContext } from "./context.ts";
import { budgetFuncs, meterComprehensions, resetBudget } from "./expr-budget.ts";
import { fromCel } from "./expr-convert.ts";
import { listFuncs } from "./expr-list.ts";
import { acceptDoublesForInts, numberFuncs } from "./expr-numbers.ts";
import type { Json } from "./json.ts";

/** Longest expression accepted, in characters. Bounds parse time and AST size. */
export const MAX_EXPRESSION_LENGTH = 4_096;
/** Largest result accepted, in characters of JSON. Bounds what one expression can add to state. */
export const MAX_RESULT_CHARS = 1_000_000;
const MAX_CACHED_PROGRAMS = 1_000;

const env = celEnv({
  funcs: [...strings, ...acceptDoublesForInts(strings), ...numberFuncs, ...listFuncs, ...budgetFuncs],
});

type Program = (bindings: Record<string, unknown>) => unknown;
const programs = new Map<string, Program>();

/** The outcome of evaluating an expression: errors are values, so a bad expression fails a step, not the engine. */
export type ExprResult = { ok: true; value: Json } | { ok: false; error: string };

/**
 * Evaluates a CEL expression against the run's context and returns plain JSON.
 * Numbers from JSON mix freely with integer literals; ints come back as JS numbers.
 *
 * @example
 * evaluate("input.n + 1", ctx); // { ok: true, value: 6 } when input.n is 5
 * evaluate("steps.classify.output.label == 'spam'", ctx);
 */
export function evaluate(source: string, ctx: ExprContext): ExprResult {
  const compiled = compile(source);
  if (!compiled.ok) return compiled;
  resetBudget();
  const result = compiled.program({ ...ctx });
  if (isCelError(result)) return { ok: false, error: result.message };
  try {
    const value = fromCel(result);
    // Measured after conversion because that is the shape that lands in state.
    if (JSON.stringify(value).length > MAX_RESULT_CHARS) {
      return { ok: false, error: `result is larger than ${MAX_RESULT_CHARS} characters` };
    }
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Checks that an expression parses and fits the limits, without evaluating it. Config
 * validation uses it so a typo is reported at load time with its path.
 *
 * @example
 * checkExpression("input.n +"); // "Syntax error: …"
 * checkExpression("input.n + 1"); // undefined
 */
export function checkExpression(source: string): string | undefined {
  const compiled = compile(source);
  return compiled.ok ? undefined : compiled.error;
}

function compile(source: string): { ok: true; program: Program } | { ok: false; error: string } {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    return { ok: false, error: `expression is longer than ${MAX_EXPRESSION_LENGTH} characters` };
  }
  const cached = programs.get(source);
  if (cached) return { ok: true, program: cached };
  try {
    const parsed = parse(source);
    meterComprehensions(parsed.expr);
    const program = plan(env, parsed) as Program;
    // Oldest-first eviction is enough: workflows reuse a small, fixed set of expressions.
    if (programs.size >= MAX_CACHED_PROGRAMS) programs.delete(programs.keys().next().value ?? "");
    programs.set(source, program);
    return { ok: true, program };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message.trim() : String(error) };
  }
}
