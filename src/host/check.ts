import { z } from "zod";

/**
 * Checks one argument of an object call with its schema and returns the parsed value. A failure throws a
 * TypeError whose message says, as text, what was wrong and where: a ZodError's own message does not survive
 * the call back to the caller (Node's structuredClone and workerd's RPC both drop it), so the caller would
 * read only "ZodError" or nothing.
 *
 * @example
 * const a = check(StartRun, args, "Run.start");
 */
export function check<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new TypeError(`${what}: ${z.prettifyError(result.error)}`);
}
