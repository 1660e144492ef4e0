/** `since` accepts an ISO 8601 time or epoch milliseconds. */
export function parseSince(value: string | undefined): number | undefined | null {
  if (value === undefined || value === "") return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
