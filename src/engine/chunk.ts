/**
 * Splits items into groups whose JSON stays under `maxBytes` (a queue message is at most 128 KB), keeping
 * order; an item larger than the limit travels alone.
 *
 * @example
 * chunkByJsonSize(events, 100_000).map((events) => ({ v: 1, events }));
 */
export function chunkByJsonSize<T>(items: readonly T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const bytes = JSON.stringify(item).length + 1;
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
