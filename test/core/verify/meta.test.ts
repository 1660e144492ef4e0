import { describe, expect, it } from "vitest";
import { signMeta } from "../../../src/core/sign/index.ts";
import { checkMetaHandshake, verifyMetaSignature } from "../../../src/core/verify/index.ts";
import { bytes, flipByte, input, NOW, secret } from "./helpers.ts";

const APP_SECRET = "0123456789abcdef0123456789abcdef";
// Meta escapes non-ASCII as \uXXXX in what it signs; the raw bytes are what must verify.
const BODY = bytes('{"object":"whatsapp_business_account","entry":[{"id":"1","text":"caf\\u00e9"}]}');

describe("verifyMetaSignature", () => {
  it("accepts a notification signed with the app secret", async () => {
    const headers = new Headers(await signMeta({ rawBody: BODY, secret: APP_SECRET, now: NOW }));
    expect(headers.get("X-Hub-Signature-256")).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(
      await verifyMetaSignature({ rawBody: BODY, headers, secrets: [secret("META", APP_SECRET)], now: NOW }),
    ).toEqual({ ok: true, keyId: "META" });
  });

  it("rejects a notification whose JSON was re-serialised after signing", async () => {
    const headers = new Headers(await signMeta({ rawBody: BODY, secret: APP_SECRET, now: NOW }));
    const reserialised = bytes(JSON.stringify(JSON.parse(new TextDecoder().decode(BODY))));
    const result = await verifyMetaSignature({
      rawBody: reserialised,
      headers,
      secrets: [secret("M", APP_SECRET)],
      now: NOW,
    });
    expect(result).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("rejects a tampered body", async () => {
    const headers = new Headers(await signMeta({ rawBody: BODY, secret: APP_SECRET, now: NOW }));
    const result = await verifyMetaSignature({
      rawBody: flipByte(BODY, 5),
      headers,
      secrets: [secret("M", APP_SECRET)],
      now: NOW,
    });
    expect(result).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("rejects a missing signature header", async () => {
    const result = await verifyMetaSignature(input({ headers: {}, secrets: [secret("M", APP_SECRET)] }));
    expect(result).toEqual({ ok: false, reason: "missing_header" });
  });

  it("rejects a malformed signature header", async () => {
    const result = await verifyMetaSignature(
      input({ headers: { "X-Hub-Signature-256": "sha256=zz" }, secrets: [secret("M", APP_SECRET)] }),
    );
    expect(result).toEqual({ ok: false, reason: "malformed_header" });
  });

  it("fails closed with no_secret when the app secret is empty", async () => {
    const headers = new Headers(await signMeta({ rawBody: BODY, secret: APP_SECRET, now: NOW }));
    const result = await verifyMetaSignature({
      rawBody: BODY,
      headers,
      secrets: [secret("M", "")],
      now: NOW,
    });
    expect(result).toEqual({ ok: false, reason: "no_secret" });
  });

  it("accepts the second app secret during rotation and reports its id", async () => {
    const headers = new Headers(await signMeta({ rawBody: BODY, secret: "new-secret", now: NOW }));
    const secrets = [secret("OLD", APP_SECRET), secret("NEW", "new-secret")];
    expect(await verifyMetaSignature({ rawBody: BODY, headers, secrets, now: NOW })).toEqual({
      ok: true,
      keyId: "NEW",
    });
  });
});

describe("checkMetaHandshake", () => {
  const tokens = [secret("META_VERIFY_TOKEN", "verify-me")];
  const query = (params: Record<string, string>) => new URLSearchParams(params);
  const good = { "hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444" };

  it("echoes the challenge when the verify token matches", () => {
    expect(checkMetaHandshake({ query: query(good), verifyTokens: tokens })).toEqual({
      ok: true,
      challenge: "1158201444",
    });
  });

  it("accepts any of several verify tokens", () => {
    const rotated = [secret("OLD", "old-token"), ...tokens];
    expect(checkMetaHandshake({ query: query(good), verifyTokens: rotated }).ok).toBe(true);
  });

  it("refuses a wrong verify token", () => {
    const result = checkMetaHandshake({
      query: query({ ...good, "hub.verify_token": "verify-m" }),
      verifyTokens: tokens,
    });
    expect(result).toEqual({ ok: false, reason: "bad_verify_token" });
  });

  it("refuses a mode other than subscribe", () => {
    const result = checkMetaHandshake({
      query: query({ ...good, "hub.mode": "unsubscribe" }),
      verifyTokens: tokens,
    });
    expect(result).toEqual({ ok: false, reason: "bad_mode" });
  });

  it.each(["hub.mode", "hub.verify_token", "hub.challenge"])("refuses a handshake without %s", (name) => {
    const params: Record<string, string> = { ...good };
    delete params[name];
    expect(checkMetaHandshake({ query: query(params), verifyTokens: tokens })).toEqual({
      ok: false,
      reason: "missing_param",
    });
  });

  it("fails closed with no_secret when no verify token is configured, even for an empty token", () => {
    const result = checkMetaHandshake({
      query: query({ ...good, "hub.verify_token": "" }),
      verifyTokens: [secret("META_VERIFY_TOKEN", "")],
    });
    expect(result).toEqual({ ok: false, reason: "no_secret" });
  });
});
