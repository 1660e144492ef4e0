import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION_TEXT = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/**
 * Parses `"500ms" | "30s" | "5m" | "1h"` (or a plain number of ms) into milliseconds.
 * Returns `undefined` for anything else, so callers decide how to report it.
 *
 * @example
 * parseDuration("5m"); // 300000
 * parseDuration(250); // 250
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const match = DURATION_TEXT.exec(value.trim());
  if (!match) return undefined;
  const unit = match[2] as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

/**
 * A duration in a workflow file. It parses to a whole number of milliseconds, and a parsed
 * value parses again to itself, so a pinned definition can be re-validated after storage.
 */
export const DurationSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `invalid duration ${JSON.stringify(value)}: use a number of ms or "500ms", "30s", "5m", "1h"`,
    });
    return z.NEVER;
  }
  return ms;
});
