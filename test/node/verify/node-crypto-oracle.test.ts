/**
 * Node-only: checks the web-standard primitives in src/core/verify against node:crypto and Buffer,
 * an independent implementation of the same HMAC and encodings.
 */

import { createHmac, timingSafeEqual as nodeTimingSafeEqual } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64, toHex } from "../../../src/core/verify/encoding.ts";
import { hmacSha256 } from "../../../src/core/verify/hmac.ts";
import { timingSafeEqual } from "../../../src/core/verify/timing-safe.ts";

const bytes = fc.uint8Array({ maxLength: 300 });

describe("verify primitives agree with node:crypto", () => {
  it("hmacSha256 matches createHmac for any key and data", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ minLength: 1 }), fc.uint8Array({ minLength: 1, maxLength: 100 })),
        bytes,
        async (key, data) => {
          const expected = createHmac("sha256", typeof key === "string" ? key : Buffer.from(key))
            .update(data)
            .digest();
          expect(Buffer.from(await hmacSha256(key, data)).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("toHex and toBase64 match Buffer, and fromBase64 inverts toBase64", () => {
    fc.assert(
      fc.property(bytes, (data) => {
        expect(toHex(data)).toBe(Buffer.from(data).toString("hex"));
        expect(toBase64(data)).toBe(Buffer.from(data).toString("base64"));
        expect(fromBase64(toBase64(data))).toEqual(new Uint8Array(data));
      }),
      { numRuns: 300 },
    );
  });

  it("timingSafeEqual matches node's for equal-length inputs", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (a, seed) => {
        const b = new Uint8Array(a);
        if (seed % 2 === 1) b[seed % b.length] = ((b[seed % b.length] ?? 0) + 1) & 0xff;
        expect(timingSafeEqual(a, b)).toBe(nodeTimingSafeEqual(a, b));
      }),
      { numRuns: 300 },
    );
  });

  it("fromBase64 returns undefined rather than throwing on text that is not base64", () => {
    expect(fromBase64("not base64!")).toBeUndefined();
  });
});
