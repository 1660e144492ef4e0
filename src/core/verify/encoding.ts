/** Byte/text conversions without Buffer, so the core runs unchanged on workerd, Node and browsers. */

const encoder = new TextEncoder();

/**
 * UTF-8 bytes of a string, typed as backed by a plain ArrayBuffer (what `crypto.subtle` accepts).
 *
 * @example utf8("hi") // Uint8Array [104, 105]
 */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

/**
 * Lowercase hex, the form GitHub, Meta and Stripe put in their signature headers.
 *
 * @example toHex(new Uint8Array([0, 255])) // "00ff"
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/**
 * Standard (RFC 4648 §4) base64 with padding, the form Standard Webhooks signatures use.
 *
 * @example toBase64(utf8("hi")) // "aGk="
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Decodes standard base64, or returns `undefined` when the text is not base64 (atob throws).
 *
 * @example fromBase64("aGk=") // Uint8Array [104, 105]
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Joins byte arrays, used to build `prefix + rawBody` without decoding the body as text
 * (a body that is not valid UTF-8 must still be signed byte for byte).
 *
 * @example concatBytes(utf8("1."), body)
 */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
