/**
 * Property tests over every scheme: tampering is always rejected, timestamps outside the window are
 * always stale, and arbitrary input never throws and never passes. Bounded runs keep this to a few
 * seconds in each vitest project.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signers } from "../../../src/core/sign/index.ts";
import { type Scheme, type VerifyResult, verifiers } from "../../../src/core/verify/index.ts";
import { timingSafeEqual } from "../../../src/core/verify/timing-safe.ts";
import { flipByte, NOW, NOW_SEC, secret } from "./helpers.ts";

const RUNS = { numRuns: 200 };
const SECRETS: Record<Scheme, string> = {
  telegram: "tg-secret_token-0123456789",
  meta: "meta-app-secret-0123456789abcdef",
  github: "It's a Secret to Everybody",
  stripe: "whsec_stripe_0123456789abcdef",
  "standard-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
};
const SIGNATURE_HEADER: Record<Exclude<Scheme, "telegram">, string> = {
  meta: "x-hub-signature-256",
  github: "x-hub-signature-256",
  stripe: "stripe-signature",
  "standard-webhooks": "webhook-signature",
};
const MAC_SCHEMES = ["meta", "github", "stripe", "standard-webhooks"] as const;
const TIMESTAMPED = ["stripe", "standard-webhooks"] as const;
const ALL_SCHEMES = ["telegram", ...MAC_SCHEMES] as const;

const sign = async (scheme: Scheme, rawBody: Uint8Array, now = NOW) =>
  new Headers(await signers[scheme]({ rawBody, secret: SECRETS[scheme], now, id: "msg_prop" }));
const verify = (
  scheme: Scheme,
  rawBody: Uint8Array,
  headers: Headers,
  extra: { now?: number; toleranceSec?: number } = {},
) => verifiers[scheme]({ rawBody, headers, secrets: [secret("K", SECRETS[scheme])], now: NOW, ...extra });

const body = fc.uint8Array({ minLength: 1, maxLength: 256 });
/** Printable ASCII: what survives in a header value. */
const headerValue = fc.string({ maxLength: 100 });
const hex = (n: number) =>
  fc
    .uint8Array({ minLength: n, maxLength: n })
    .map((b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(""));
const base64 = (n: number) =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((b) => btoa(String.fromCharCode(...b)));
const nearNow = fc.integer({ min: -400, max: 400 }).map((s) => String(NOW_SEC + s));

/** Values shaped like each scheme's real headers, so the search reaches the HMAC comparison. */
const plausible: Record<string, fc.Arbitrary<string>> = {
  "x-telegram-bot-api-secret-token": headerValue,
  "x-hub-signature-256": fc.oneof(
    hex(32).map((h) => `sha256=${h}`),
    headerValue,
  ),
  "stripe-signature": fc.oneof(
    fc
      .tuple(nearNow, fc.array(hex(32), { maxLength: 3 }))
      .map(([t, v1s]) => [`t=${t}`, ...v1s.map((s) => `v1=${s}`)].join(",")),
    headerValue,
  ),
  "webhook-id": headerValue,
  "webhook-timestamp": fc.oneof(nearNow, headerValue),
  "webhook-signature": fc.oneof(
    fc
      .array(fc.tuple(fc.constantFrom("v1", "v1a", "v2"), base64(32)), { maxLength: 3 })
      .map((e) => e.map((p) => p.join(",")).join(" ")),
    headerValue,
  ),
};
const arbitraryHeaders = fc
  .tuple(
    fc.dictionary(fc.constantFrom(...Object.keys(plausible)), fc.constant("")),
    fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), headerValue, { maxKeys: 3 }),
  )
  .chain(([names, noise]) =>
    fc
      .record(Object.fromEntries(Object.keys(names).map((n) => [n, plausible[n] as fc.Arbitrary<string>])))
      .map((known) => new Headers({ ...noise, ...known })),
  );

/** Replaces one character with a different one (not merely its other case: hex is case-insensitive). */
const mutateChar = (text: string, index: number, replacement: string): string | undefined => {
  const at = index % text.length;
  if (replacement.toLowerCase() === text[at]?.toLowerCase()) return undefined;
  return text.slice(0, at) + replacement + text.slice(at + 1);
};

const rejected = (result: VerifyResult) => expect(result.ok).toBe(false);

describe.each(MAC_SCHEMES)("%s properties", (scheme) => {
  it("accepts any body it signed itself", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (raw) => {
        expect(await verify(scheme, raw, await sign(scheme, raw))).toEqual({ ok: true, keyId: "K" });
      }),
      RUNS,
    );
  });

  it("rejects any single-byte change to the body", async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.nat(), fc.integer({ min: 1, max: 255 }), async (raw, index, mask) => {
        const headers = await sign(scheme, raw);
        expect(await verify(scheme, flipByte(raw, index, mask), headers)).toEqual({
          ok: false,
          reason: "bad_signature",
        });
      }),
      RUNS,
    );
  });

  it("rejects any one-character change to the signature header", async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), async (raw, index, ch) => {
        const headers = await sign(scheme, raw);
        const name = SIGNATURE_HEADER[scheme];
        const changed = mutateChar(headers.get(name) ?? "", index, ch);
        fc.pre(changed !== undefined);
        headers.set(name, changed as string);
        rejected(await verify(scheme, raw, headers));
      }),
      RUNS,
    );
  });
});

describe.each(TIMESTAMPED)("%s timestamp properties", (scheme) => {
  it("rejects any timestamp shift beyond the 300 s tolerance, past or future", async () => {
    const shift = fc.oneof(
      fc.integer({ min: 301, max: 10_000_000 }),
      fc.integer({ min: -10_000_000, max: -301 }),
    );
    await fc.assert(
      fc.asyncProperty(body, shift, async (raw, seconds) => {
        const headers = await sign(scheme, raw, NOW + seconds * 1000);
        expect(await verify(scheme, raw, headers)).toEqual({ ok: false, reason: "stale" });
      }),
      RUNS,
    );
  });

  it("stale exactly when the shift exceeds a configured toleranceSec", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3600 }),
        fc.integer({ min: -7200, max: 7200 }),
        async (tol, seconds) => {
          const raw = new Uint8Array([123, 125]);
          const result = await verify(scheme, raw, await sign(scheme, raw, NOW + seconds * 1000), {
            toleranceSec: tol,
          });
          expect(result).toEqual(
            Math.abs(seconds) > tol ? { ok: false, reason: "stale" } : { ok: true, keyId: "K" },
          );
        },
      ),
      RUNS,
    );
  });

  it("rejects a signed timestamp rewritten to any other value inside the window", async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.integer({ min: -300, max: 300 }).filter((s) => s !== 0),
        async (raw, seconds) => {
          const headers = await sign(scheme, raw);
          const forged = String(NOW_SEC + seconds);
          if (scheme === "stripe")
            headers.set(
              "stripe-signature",
              (headers.get("stripe-signature") ?? "").replace(`t=${NOW_SEC}`, `t=${forged}`),
            );
          else headers.set("webhook-timestamp", forged);
          expect(await verify(scheme, raw, headers)).toEqual({ ok: false, reason: "bad_signature" });
        },
      ),
      RUNS,
    );
  });
});

describe("standard-webhooks id property", () => {
  it("rejects a signature replayed under any other webhook-id", async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        headerValue.map((s) => s.trim()).filter((s) => s !== "" && s !== "msg_prop"),
        async (raw, id) => {
          const headers = await sign("standard-webhooks", raw);
          headers.set("webhook-id", id);
          expect(await verify("standard-webhooks", raw, headers)).toEqual({
            ok: false,
            reason: "bad_signature",
          });
        },
      ),
      RUNS,
    );
  });
});

describe.each(ALL_SCHEMES)("%s on arbitrary input", (scheme) => {
  it("never throws and never passes with a real secret configured", async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryHeaders, fc.uint8Array({ maxLength: 256 }), async (headers, raw) => {
        rejected(await verify(scheme, raw, headers));
      }),
      RUNS,
    );
  });

  it("answers no_secret for any request when every configured secret is empty", async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryHeaders, fc.integer({ min: 0, max: 3 }), async (headers, count) => {
        const secrets = Array.from({ length: count }, (_, i) => secret(`S${i}`, ""));
        const result = await verifiers[scheme]({ rawBody: new Uint8Array(), headers, secrets, now: NOW });
        expect(result).toEqual({ ok: false, reason: "no_secret" });
      }),
      { numRuns: 50 },
    );
  });
});

describe("timingSafeEqual", () => {
  it("agrees with plain equality on any pair of byte arrays", () => {
    const pair = fc.oneof(
      fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 })),
      fc.uint8Array({ maxLength: 64 }).map((a) => [a, new Uint8Array(a)] as [Uint8Array, Uint8Array]),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(timingSafeEqual(a, b)).toBe(a.length === b.length && a.every((x, i) => x === b[i]));
      }),
      { numRuns: 500 },
    );
  });
});
