import { describe, expect, it } from "vitest";
import { signStandardWebhooks } from "../../../src/core/sign/index.ts";
import { verifyStandardWebhooks } from "../../../src/core/verify/index.ts";
import { bytes, flipByte, NOW, NOW_SEC, secret } from "./helpers.ts";

// The example from Svix's "Verifying webhooks manually" docs.
const DOC = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: bytes('{"test": 2432232314}'),
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const BODY = bytes('{"type":"invoice.paid","data":{"id":"in_1"}}');

async function signed(overrides: { now?: number; secret?: string; id?: string } = {}) {
  const headers = await signStandardWebhooks({
    rawBody: BODY,
    secret: overrides.secret ?? SECRET,
    now: overrides.now ?? NOW,
    id: overrides.id ?? "msg_1",
  });
  return new Headers(headers);
}

const verify = (
  headers: Headers,
  opts: { now?: number; secrets?: ReturnType<typeof secret>[]; body?: Uint8Array } = {},
) =>
  verifyStandardWebhooks({
    rawBody: opts.body ?? BODY,
    headers,
    secrets: opts.secrets ?? [secret("SW", SECRET)],
    now: opts.now ?? NOW,
  });

describe("verifyStandardWebhooks", () => {
  it("accepts the documented Svix example", async () => {
    const headers = new Headers({
      "webhook-id": DOC.id,
      "webhook-timestamp": String(DOC.timestamp),
      "webhook-signature": DOC.signature,
    });
    const result = await verifyStandardWebhooks({
      rawBody: DOC.body,
      headers,
      secrets: [secret("SVIX", DOC.secret)],
      now: DOC.timestamp * 1000,
    });
    expect(result).toEqual({ ok: true, keyId: "SVIX" });
  });

  it("accepts svix-* header names as Svix's SDK sends them", async () => {
    const headers = new Headers({
      "svix-id": DOC.id,
      "svix-timestamp": String(DOC.timestamp),
      "svix-signature": DOC.signature,
    });
    const result = await verifyStandardWebhooks({
      rawBody: DOC.body,
      headers,
      secrets: [secret("S", DOC.secret)],
      now: DOC.timestamp * 1000,
    });
    expect(result.ok).toBe(true);
  });

  it("accepts a secret without the whsec_ prefix", async () => {
    const headers = await signed();
    expect((await verify(headers, { secrets: [secret("SW", SECRET.slice("whsec_".length))] })).ok).toBe(true);
  });

  it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])(
    "rejects a delivery without %s",
    async (name) => {
      const headers = await signed();
      headers.delete(name);
      expect(await verify(headers)).toEqual({ ok: false, reason: "missing_header" });
    },
  );

  it.each(["17e8", "-1700000000", "1700000000.5", "soon", ""])(
    "rejects the non-numeric timestamp %j",
    async (ts) => {
      const headers = await signed();
      headers.set("webhook-timestamp", ts);
      const result = await verify(headers);
      expect(result).toEqual({ ok: false, reason: ts === "" ? "missing_header" : "malformed_header" });
    },
  );

  it("rejects a replayed delivery older than 5 minutes", async () => {
    const headers = await signed({ now: NOW - 301_000 });
    expect(await verify(headers)).toEqual({ ok: false, reason: "stale" });
  });

  it("rejects a delivery timestamped more than 5 minutes in the future", async () => {
    const headers = await signed({ now: NOW + 301_000 });
    expect(await verify(headers)).toEqual({ ok: false, reason: "stale" });
  });

  it("accepts a delivery exactly at the 5 minute edge, past and future", async () => {
    expect((await verify(await signed({ now: NOW - 300_000 }))).ok).toBe(true);
    expect((await verify(await signed({ now: NOW + 300_000 }))).ok).toBe(true);
  });

  it("honours a narrower toleranceSec", async () => {
    const headers = await signed({ now: NOW - 61_000 });
    const result = await verifyStandardWebhooks({
      rawBody: BODY,
      headers,
      secrets: [secret("SW", SECRET)],
      now: NOW,
      toleranceSec: 60,
    });
    expect(result).toEqual({ ok: false, reason: "stale" });
  });

  it("fails closed as stale when the clock argument is not a number", async () => {
    expect(await verify(await signed(), { now: Number.NaN })).toEqual({ ok: false, reason: "stale" });
  });

  it("rejects a tampered body, id or timestamp", async () => {
    const headers = await signed();
    expect(await verify(headers, { body: flipByte(BODY, 3) })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    const otherId = await signed();
    otherId.set("webhook-id", "msg_2");
    expect(await verify(otherId)).toEqual({ ok: false, reason: "bad_signature" });
    const otherTs = await signed();
    otherTs.set("webhook-timestamp", String(NOW_SEC + 1));
    expect(await verify(otherTs)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("accepts a header with several signatures when any v1 one is valid", async () => {
    const headers = await signed();
    const valid = headers.get("webhook-signature");
    headers.set("webhook-signature", `v1a,AAAA v1,bm90IGl0 junk ${valid} v2,xyz`);
    expect(await verify(headers)).toEqual({ ok: true, keyId: "SW" });
  });

  it("ignores a valid signature carried under another version", async () => {
    const headers = await signed();
    headers.set("webhook-signature", (headers.get("webhook-signature") ?? "").replace("v1,", "v1a,"));
    expect(await verify(headers)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("fails closed with no_secret when the only secret is empty", async () => {
    expect(await verify(await signed(), { secrets: [secret("SW", "")] })).toEqual({
      ok: false,
      reason: "no_secret",
    });
  });

  it("reports bad_secret when the configured secret is not base64", async () => {
    expect(await verify(await signed(), { secrets: [secret("SW", "whsec_not base64!")] })).toEqual({
      ok: false,
      reason: "bad_secret",
    });
    expect(await verify(await signed(), { secrets: [secret("SW", "whsec_")] })).toEqual({
      ok: false,
      reason: "bad_secret",
    });
  });

  it("accepts a good secret even when another configured secret is unusable", async () => {
    const secrets = [secret("BROKEN", "whsec_%%%"), secret("SW", SECRET)];
    expect(await verify(await signed(), { secrets })).toEqual({ ok: true, keyId: "SW" });
  });

  it("accepts the second secret during rotation and reports its id", async () => {
    const next = "whsec_dGhlIG5leHQgc2VjcmV0IGtleSAxMjM0NTY3OA==";
    const secrets = [secret("OLD", SECRET), secret("NEW", next)];
    expect(await verify(await signed({ secret: next }), { secrets })).toEqual({ ok: true, keyId: "NEW" });
  });

  it("signs with a random msg_ id when none is given", async () => {
    const headers = await signStandardWebhooks({ rawBody: BODY, secret: SECRET, now: NOW });
    expect(headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(headers["webhook-timestamp"]).toBe(String(NOW_SEC));
  });

  it("refuses to sign with a secret that is not base64", async () => {
    await expect(signStandardWebhooks({ rawBody: BODY, secret: "whsec_!!", now: NOW })).rejects.toThrow(
      /base64/,
    );
  });
});
