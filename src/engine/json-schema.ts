import { z } from "zod";
import type { JsonObject } from "./json.ts";

const MAX_CACHED = 200;
const compiled = new Map<string, z.ZodType>();

/**
 * Turns a JSON Schema from a workflow into a validator (via zod's converter). Workflows are
 * re-read from storage on every transition, so the cache is keyed by the schema's text.
 *
 * @example
 * const result = compileJsonSchema({ type: "object", required: ["approved"] });
 * if (result.ok) result.schema.safeParse(body);
 */
export function compileJsonSchema(
  schema: JsonObject,
): { ok: true; schema: z.ZodType } | { ok: false; error: string } {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached) return { ok: true, schema: cached };
  try {
    const converted = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value ?? "");
    compiled.set(key, converted);
    return { ok: true, schema: converted };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Validates a value against a JSON Schema and returns readable issues.
 *
 * @example
 * validateJson({ type: "object", required: ["ok"] }, {}); // ["ok: Invalid input: expected …"]
 */
export function validateJson(schema: JsonObject, value: unknown): string[] {
  const result = compileJsonSchema(schema);
  if (!result.ok) return [`schema: ${result.error}`];
  const parsed = result.schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map(
    (issue) => `${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`,
  );
}
