import type { Json } from "../engine/json.ts";

type Schema = { [key: string]: unknown };
const MAX_DEPTH = 8;

/** Stand-in values for string formats, so `format` checks pass too. */
const FORMATS: Record<string, string> = {
  "date-time": "1970-01-01T00:00:00.000Z",
  date: "1970-01-01",
  time: "00:00:00Z",
  email: "echo@example.com",
  uri: "https://example.com/",
  url: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
};

/**
 * Builds a deterministic value that satisfies simple JSON Schemas (types, `properties`,
 * `required`, `enum`, `const`, `items`, `min*`/`max*`, common `format`s, first branch of
 * `anyOf`/`oneOf`). Strings carry `text` so the echo is still visible. It does not try to
 * satisfy `pattern`, `not`, `if/then` or cross-field rules: this is a stand-in, not a solver.
 *
 * @example
 * sampleJson({ type: "object", properties: { label: { enum: ["spam", "ham"] } } }, "hi");
 * // { label: "spam" }
 */
export function sampleJson(schema: unknown, text: string, depth = 0): Json {
  if (typeof schema !== "object" || schema === null || depth > MAX_DEPTH) return null;
  const s = schema as Schema;
  if ("const" in s) return s.const as Json;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0] as Json;
  if ("default" in s) return s.default as Json;
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const branches = s[key];
    if (Array.isArray(branches) && branches.length > 0) return sampleJson(branches[0], text, depth + 1);
  }
  const types = Array.isArray(s.type) ? s.type : [s.type];
  const type = types.find((t) => t !== "null") ?? (types.includes("null") ? "null" : undefined);
  switch (type ?? (s.properties ? "object" : s.items ? "array" : "string")) {
    case "object":
      return sampleObject(s, text, depth);
    case "array":
      return sampleArray(s, text, depth);
    case "integer":
      return Math.ceil(lowerBound(s, 1));
    case "number":
      return lowerBound(s, 1);
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return sampleString(s, text);
  }
}

function sampleObject(s: Schema, text: string, depth: number): Json {
  const properties = (
    typeof s.properties === "object" && s.properties !== null ? s.properties : {}
  ) as Schema;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(properties)) out[key] = sampleJson(value, text, depth + 1);
  // Required keys without a property schema still have to be present.
  if (Array.isArray(s.required))
    for (const key of s.required) if (typeof key === "string" && !(key in out)) out[key] = text;
  return out;
}

function sampleArray(s: Schema, text: string, depth: number): Json {
  const min = typeof s.minItems === "number" ? s.minItems : 1;
  const max = typeof s.maxItems === "number" ? s.maxItems : Math.max(min, 1);
  const count = Math.min(Math.max(min, 1), max);
  return Array.from({ length: count }, () => sampleJson(s.items, text, depth + 1));
}

function sampleString(s: Schema, text: string): string {
  if (typeof s.format === "string" && FORMATS[s.format]) return FORMATS[s.format] as string;
  const min = typeof s.minLength === "number" ? s.minLength : 0;
  const max = typeof s.maxLength === "number" ? s.maxLength : Number.POSITIVE_INFINITY;
  return text.padEnd(min, ".").slice(0, max);
}

function lowerBound(s: Schema, step: number): number {
  if (typeof s.minimum === "number") return s.minimum;
  if (typeof s.exclusiveMinimum === "number") return s.exclusiveMinimum + step;
  if (typeof s.maximum === "number") return Math.min(0, s.maximum);
  if (typeof s.exclusiveMaximum === "number") return Math.min(0, s.exclusiveMaximum - step);
  return 0;
}
