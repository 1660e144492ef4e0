/**
 * Reads a response body as UTF-8 text, keeping at most `maxBytes` bytes. Past the cap the rest
 * of the body is cancelled (which releases the connection) rather than downloaded and dropped.
 *
 * @example
 * const { text, truncated } = await readCappedText(res, 1_000_000);
 */
export async function readCappedText(
  res: Response,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  if (res.body === null) return { text: "", truncated: false };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), truncated: false };
    const room = maxBytes - size;
    if (value.byteLength > room) {
      // No final flush: a multi-byte character cut at the cap is dropped, not turned into U+FFFD.
      text += decoder.decode(value.subarray(0, room), { stream: true });
      await reader.cancel().catch(() => {});
      return { text, truncated: true };
    }
    size += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
}
