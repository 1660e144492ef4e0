const DECIMAL = /^\d+$/;

export type ReadBodyResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: "too_large" };

/**
 * Reads a request body into memory, giving up as soon as it passes `maxBytes`. A lying or absent
 * Content-Length cannot get past the cap, because the stream itself is counted (RFC 9110 §15.5.14: 413).
 *
 * @example const body = await readBodyWithLimit(request, 1_048_576);
 */
export async function readBodyWithLimit(request: Request, maxBytes: number): Promise<ReadBodyResult> {
  const header = request.headers.get("content-length");
  const declared = Number(header);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, reason: "too_large" };
  // A declared length within the cap bounds the body: the HTTP layer (workerd, Node's parser) delivers exactly
  // that many bytes. Reading it whole skips the stream reader, which on Node also builds a web stream per
  // request. The length is checked again in case a runtime ever let more through.
  if (header !== null && DECIMAL.test(header)) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength > maxBytes ? { ok: false, reason: "too_large" } : { ok: true, bytes };
  }
  if (!request.body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return { ok: false, reason: "too_large" };
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0]) return { ok: true, bytes: chunks[0] };
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}
