/** HMAC-SHA256 (RFC 2104) through Web Crypto, the only MAC every scheme here uses. */

import { utf8 } from "./encoding.ts";

/**
 * HMAC-SHA256 of `data` under `key`. A string key is used as its UTF-8 bytes, as GitHub, Meta and
 * Stripe do. The key is imported per call: verifiers see each secret once per delivery.
 *
 * @example await hmacSha256("It's a Secret to Everybody", utf8("Hello, World!"))
 */
export async function hmacSha256(key: string | Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const keyBytes = typeof key === "string" ? utf8(key) : ownBuffer(key);
  const cryptoKey = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, ownBuffer(data)));
}

/** Web Crypto's BufferSource excludes views over a SharedArrayBuffer; copy only in that rare case. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
