import { z } from "zod";

/** Any JSON value: the engine's state, inputs and outputs are all of this shape. */
export const JsonSchema = z.json();
export type Json = z.infer<typeof JsonSchema>;

/** A JSON object, e.g. a JSON Schema embedded in a workflow. */
export const JsonObjectSchema = z.record(z.string(), JsonSchema);
export type JsonObject = z.infer<typeof JsonObjectSchema>;

/**
 * A value as audit events carry it: as is when its JSON is short, else a `{ truncated, preview }` object, so
 * an event stays small enough for a queue message and a history row.
 *
 * @example
 * previewJson({ text: "hi" }); // { text: "hi" }
 */
export function previewJson(value: Json | undefined, max = 2_000): Json {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text.length <= max ? value : { truncated: true, preview: text.slice(0, max) };
}

/** The first `max` characters of a value's JSON, for a searchable summary. */
export function summaryJson(value: Json | undefined, max = 1_000): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value).slice(0, max);
}
