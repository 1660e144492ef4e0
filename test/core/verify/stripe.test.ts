import { describe, expect, it } from "vitest";
import { signStripe } from "../../../src/core/sign/index.ts";
import { verifyStripe } from "../../../src/core/verify/index.ts";
import { bytes, flipByte, NOW, NOW_SEC, secret } from "./helpers.ts";

const SECRET = "whsec_test_7d9f2c1b";
const BODY = bytes('{"id":"evt_1","object":"event","type":"charge.succeeded"}');

const signedHeader = async (now = NOW, key = SECRET) =>
  (await signStripe({ rawBody: BODY, secret: key, now }))["Stripe-Signature"] as string;

const verify = (
  header: string | undefined,
  opts: { now?: number; body?: Uint8Array; secrets?: ReturnType<typeof secret>[] } = {},
) =>
  verifyStripe({
    rawBody: opts.body ?? BODY,
    headers: new Headers(header === undefined ? {} : { "Stripe-Signature": header }),
    secrets: opts.secrets ?? [secret("STRIPE", SECRET)],
    now: opts.now ?? NOW,
  });

describe("verifyStripe", () => {
  it("accepts an event signed with the endpoint secret", async () => {
    const header = await signedHeader();
    expect(header).toMatch(new RegExp(`^t=${NOW_SEC},v1=[0-9a-f]{64}$`));
    expect(await verify(header)).toEqual({ ok: true, keyId: "STRIPE" });
  });

  it("keys the HMAC with the whole whsec_ string, not a decoded key", async () => {
    const header = await signedHeader(NOW, SECRET.slice("whsec_".length));
    expect(await verify(header)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("rejects an event without Stripe-Signature", async () => {
    expect(await verify(undefined)).toEqual({ ok: false, reason: "missing_header" });
  });

  it.each([
    ["no timestamp", (h: string) => h.replace(/^t=\d+,/, "")],
    ["no v1 signature", (h: string) => h.replace(",v1=", ",v0=")],
    ["two timestamps", (h: string) => `${h},t=${NOW_SEC}`],
    ["a non-numeric timestamp", (h: string) => h.replace(/^t=\d+/, "t=now")],
    ["no key=value pairs", () => "garbage"],
  ])("rejects a header with %s as malformed", async (_, mangle) => {
    expect(await verify(mangle(await signedHeader()))).toEqual({ ok: false, reason: "malformed_header" });
  });

  it("rejects a replayed event older than 5 minutes", async () => {
    expect(await verify(await signedHeader(NOW - 301_000))).toEqual({ ok: false, reason: "stale" });
  });

  it("rejects an event timestamped more than 5 minutes in the future", async () => {
    expect(await verify(await signedHeader(NOW + 301_000))).toEqual({ ok: false, reason: "stale" });
  });

  it("rejects a tampered body", async () => {
    expect(await verify(await signedHeader(), { body: flipByte(BODY, 10) })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("rejects a signature moved onto another timestamp", async () => {
    const header = (await signedHeader()).replace(`t=${NOW_SEC}`, `t=${NOW_SEC - 1}`);
    expect(await verify(header)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("accepts a header with several v1 signatures when one is valid, ignoring v0", async () => {
    const header = await signedHeader();
    const v1 = header.split(",v1=")[1];
    const multi = `t=${NOW_SEC},v1=${"0".repeat(64)},v0=${"1".repeat(64)},v1=${v1}`;
    expect(await verify(multi)).toEqual({ ok: true, keyId: "STRIPE" });
  });

  it("fails closed with no_secret when the secret is empty", async () => {
    expect(await verify(await signedHeader(), { secrets: [secret("STRIPE", "")] })).toEqual({
      ok: false,
      reason: "no_secret",
    });
  });

  it("accepts the second secret during rotation and reports its id", async () => {
    const header = await signedHeader(NOW, "whsec_next");
    const secrets = [secret("OLD", SECRET), secret("NEW", "whsec_next")];
    expect(await verify(header, { secrets })).toEqual({ ok: true, keyId: "NEW" });
  });
});
