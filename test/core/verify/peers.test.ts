/**
 * Interop with the senders' own libraries: whatever they sign, we accept; whatever we sign, they accept;
 * and any tampering with what they signed is rejected. Runs in both Node and workerd.
 */

import { sign as octokitSign, verify as octokitVerify } from "@octokit/webhooks-methods";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { signGithub, signStandardWebhooks, signStripe } from "../../../src/core/sign/index.ts";
import { verifyGithub, verifyStandardWebhooks, verifyStripe } from "../../../src/core/verify/index.ts";
import { bytes, NOW, NOW_SEC, secret } from "./helpers.ts";

const NON_EMPTY = ['{"id":"evt_1","object":"event"}', '{"emoji":"🦀","quote":"\\"x\\""}', "not json at all"];
// @octokit/webhooks-methods and the stripe SDK refuse an empty payload outright, so only
// Standard Webhooks is exercised with one.
const PAYLOADS = [...NON_EMPTY, ""];
const SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const GH_SECRET = "It's a Secret to Everybody";
const STRIPE_SECRET = "whsec_test_secret_for_peers";
const stripe = new Stripe("sk_test_x");

describe.each([
  [
    "standardwebhooks",
    (id: string, at: Date, body: string) => new StandardWebhook(SW_SECRET).sign(id, at, body),
  ],
  ["svix", (id: string, at: Date, body: string) => new SvixWebhook(SW_SECRET).sign(id, at, body)],
])("Standard Webhooks signatures made by %s", (_, peerSign) => {
  const headersFor = (body: string, at = NOW, id = "msg_peer") =>
    new Headers({
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at / 1000)),
      "webhook-signature": peerSign(id, new Date(at), body),
    });
  const verify = (body: string, headers: Headers) =>
    verifyStandardWebhooks({ rawBody: bytes(body), headers, secrets: [secret("SW", SW_SECRET)], now: NOW });

  it.each(PAYLOADS)("are accepted for the body %j", async (body) => {
    expect(await verify(body, headersFor(body))).toEqual({ ok: true, keyId: "SW" });
  });

  it("are rejected when the body is tampered with", async () => {
    expect(await verify('{"id":"evt_2"}', headersFor('{"id":"evt_1"}'))).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("are rejected when the id header is tampered with", async () => {
    const headers = headersFor("{}");
    headers.set("webhook-id", "msg_other");
    expect(await verify("{}", headers)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("are rejected when signed beyond the tolerance", async () => {
    expect(await verify("{}", headersFor("{}", NOW - 301_000))).toEqual({ ok: false, reason: "stale" });
    expect(await verify("{}", headersFor("{}", NOW + 301_000))).toEqual({ ok: false, reason: "stale" });
  });
});

describe("Standard Webhooks signatures made by us", () => {
  it.each(PAYLOADS)("are accepted by standardwebhooks and svix for the body %j", async (body) => {
    const headers = await signStandardWebhooks({ rawBody: bytes(body), secret: SW_SECRET, now: Date.now() });
    expect(() => new StandardWebhook(SW_SECRET).verify(body, headers, { jsonParse: false })).not.toThrow();
    expect(() => new SvixWebhook(SW_SECRET).verify(body, headers)).not.toThrow();
  });
});

describe("GitHub signatures made by @octokit/webhooks-methods", () => {
  const verify = (body: string, signature: string) =>
    verifyGithub({
      rawBody: bytes(body),
      headers: new Headers({ "X-Hub-Signature-256": signature }),
      secrets: [secret("GH", GH_SECRET)],
      now: NOW,
    });

  it.each(NON_EMPTY)("are accepted for the body %j", async (body) => {
    expect(await verify(body, await octokitSign(GH_SECRET, body))).toEqual({ ok: true, keyId: "GH" });
  });

  it("are rejected when the body is tampered with", async () => {
    expect(await verify('{"a":2}', await octokitSign(GH_SECRET, '{"a":1}'))).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("are rejected under another secret", async () => {
    expect(await verify("{}", await octokitSign("other", "{}"))).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it.each(NON_EMPTY)("accept ours for the body %j", async (body) => {
    const headers = await signGithub({ rawBody: bytes(body), secret: GH_SECRET, now: NOW });
    expect(await octokitVerify(GH_SECRET, body, headers["X-Hub-Signature-256"] as string)).toBe(true);
  });
});

describe("Stripe signatures made by the stripe SDK", () => {
  const header = (payload: string, timestamp = NOW_SEC) =>
    stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: STRIPE_SECRET, timestamp });
  const verify = (body: string, signature: string) =>
    verifyStripe({
      rawBody: bytes(body),
      headers: new Headers({ "Stripe-Signature": signature }),
      secrets: [secret("ST", STRIPE_SECRET)],
      now: NOW,
    });

  it.each(NON_EMPTY)("are accepted for the body %j", async (body) => {
    expect(await verify(body, await header(body))).toEqual({ ok: true, keyId: "ST" });
  });

  it("are rejected when the body is tampered with", async () => {
    expect(await verify('{"a":2}', await header('{"a":1}'))).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("are rejected when the timestamp is tampered with", async () => {
    const tampered = (await header("{}")).replace(`t=${NOW_SEC}`, `t=${NOW_SEC + 1}`);
    expect(await verify("{}", tampered)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("are rejected when signed beyond the tolerance, past or future", async () => {
    expect(await verify("{}", await header("{}", NOW_SEC - 301))).toEqual({ ok: false, reason: "stale" });
    expect(await verify("{}", await header("{}", NOW_SEC + 301))).toEqual({ ok: false, reason: "stale" });
  });

  it.each(NON_EMPTY)("accept ours for the body %j", async (body) => {
    const headers = await signStripe({ rawBody: bytes(body), secret: STRIPE_SECRET, now: Date.now() });
    const signature = headers["Stripe-Signature"] as string;
    await expect(stripe.webhooks.signature?.verifyHeaderAsync(body, signature, STRIPE_SECRET)).resolves.toBe(
      true,
    );
  });
});
