import { z } from "zod";
import { parseDuration } from "../core/duration.ts";

export { parseDuration };

/**
 * A duration in config or a workflow file: a number of ms, or "500ms", "30s", "5m", "1h", "4d". It parses to
 * a whole number of milliseconds, and a parsed value parses again to itself, so a pinned definition can be
 * re-validated after storage.
 */
export const DurationSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `invalid duration ${JSON.stringify(value)}: use a number of ms or "500ms", "30s", "5m", "1h", "4d"`,
    });
    return z.NEVER;
  }
  return ms;
});
