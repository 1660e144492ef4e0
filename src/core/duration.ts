import { z } from "zod";

/** Durations in config: a number of milliseconds, or a string such as "500ms", "30s", "5m", "26h", "4d". */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/**
 * Parses a duration into milliseconds, or returns `undefined` when it is not one.
 *
 * @example parseDuration("26h") // 93_600_000
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const match = PATTERN.exec(value.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
}

/**
 * Formats milliseconds the way a person would write them in config.
 *
 * @example formatDuration(93_600_000) // "26h"
 */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A duration in config or a workflow file: a number of ms, or "500ms", "30s", "5m", "1h", "4d". It parses to
 * a whole number of milliseconds, and a parsed value parses again to itself, so a pinned definition can be
 * re-validated after storage.
 *
 * @example DurationSchema.parse("30s") // 30_000
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
