import type { ExprContext } from "./context.ts";
import { checkExpression, type ExprResult, evaluate } from "./expr.ts";
import type { Json } from "./json.ts";

type Part = { text: string } | { expr: string };

/**
 * Splits a template into text and `{{ expr }}` parts. The scanner skips quoted strings and
 * balanced braces, so `{{ {'a': 1}.a }}` and `{{ "}}" }}` parse as one expression.
 */
function split(source: string): { ok: true; parts: Part[] } | { ok: false; error: string } {
  const parts: Part[] = [];
  let text = "";
  let i = 0;
  while (i < source.length) {
    if (source.startsWith("{{", i)) {
      const end = findClose(source, i + 2);
      if (end === -1) return { ok: false, error: `unterminated "{{" at character ${i}` };
      if (text) parts.push({ text });
      text = "";
      parts.push({ expr: source.slice(i + 2, end).trim() });
      i = end + 2;
    } else {
      text += source[i];
      i += 1;
    }
  }
  if (text) parts.push({ text });
  return { ok: true, parts };
}

function findClose(source: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === "\\") i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "{") depth += 1;
    else if (c === "}" && depth > 0) depth -= 1;
    else if (c === "}" && source[i + 1] === "}") return i;
  }
  return -1;
}

/** How a value reads inside text: strings as-is, null as nothing, structures as JSON. */
function interpolate(value: Json): string {
  if (value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Renders `{{ expr }}` placeholders inside a string.
 *
 * @example
 * renderTemplate("Hi {{ input.name }}, you have {{ size(input.items) }} items", ctx);
 * // { ok: true, value: "Hi Ada, you have 3 items" }
 */
export function renderTemplate(
  source: string,
  ctx: ExprContext,
): { ok: true; value: string } | { ok: false; error: string } {
  const result = renderString(source, ctx, false);
  return result.ok ? { ok: true, value: interpolate(result.value) } : result;
}

/**
 * Renders templates in every string of a JSON value. A string that is exactly one
 * placeholder keeps the expression's type, so an HTTP body `"{{ input.items }}"` stays a list.
 *
 * @example
 * renderValue({ count: "{{ size(input.items) }}", note: "n={{ input.n }}" }, ctx);
 * // { ok: true, value: { count: 3, note: "n=5" } }
 */
export function renderValue(value: Json, ctx: ExprContext): ExprResult {
  if (typeof value === "string") return renderString(value, ctx, true);
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const element of value) {
      const rendered = renderValue(element, ctx);
      if (!rendered.ok) return rendered;
      out.push(rendered.value);
    }
    return { ok: true, value: out };
  }
  if (value !== null && typeof value === "object") {
    const entries: [string, Json][] = [];
    for (const [key, element] of Object.entries(value)) {
      const rendered = renderValue(element, ctx);
      if (!rendered.ok) return rendered;
      entries.push([key, rendered.value]);
    }
    return { ok: true, value: Object.fromEntries(entries) };
  }
  return { ok: true, value };
}

function renderString(source: string, ctx: ExprContext, keepType: boolean): ExprResult {
  if (!source.includes("{{")) return { ok: true, value: source };
  const parsed = split(source);
  if (!parsed.ok) return parsed;
  const [only] = parsed.parts;
  if (keepType && parsed.parts.length === 1 && only && "expr" in only) {
    const result = evaluate(only.expr, ctx);
    return result.ok ? result : { ok: false, error: `{{ ${only.expr} }}: ${result.error}` };
  }
  let out = "";
  for (const part of parsed.parts) {
    if ("text" in part) {
      out += part.text;
      continue;
    }
    const result = evaluate(part.expr, ctx);
    if (!result.ok) return { ok: false, error: `{{ ${part.expr} }}: ${result.error}` };
    out += interpolate(result.value);
  }
  return { ok: true, value: out };
}

/**
 * Checks every placeholder in a template without evaluating it.
 *
 * @example
 * checkTemplate("Hi {{ input.name"); // 'unterminated "{{" at character 3'
 */
export function checkTemplate(source: string): string | undefined {
  const parsed = split(source);
  if (!parsed.ok) return parsed.error;
  for (const part of parsed.parts) {
    if (!("expr" in part)) continue;
    const error = part.expr === "" ? "empty {{ }}" : checkExpression(part.expr);
    if (error) return `{{ ${part.expr} }}: ${error}`;
  }
  return undefined;
}
