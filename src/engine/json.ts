import { z } from "zod";

/** Any JSON value: the engine's state, inputs and outputs are all of this shape. */
export const JsonSchema = z.json();
export type Json = z.infer<typeof JsonSchema>;

/** A JSON object, e.g. a JSON Schema embedded in a workflow. */
export const JsonObjectSchema = z.record(z.string(), JsonSchema);
export type JsonObject = z.infer<typeof JsonObjectSchema>;
