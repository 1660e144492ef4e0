import { describe, expect, it } from "vitest";
import { signers } from "../../../src/core/sign/index.ts";
import { type Scheme, schemes, verifiers } from "../../../src/core/verify/index.ts";

const NOW = 1_700_000_000_000;
const SECRETS: Record<Scheme, string> = {
  telegram: "tg-token",
  meta: "meta-secret",
  github: "gh-secret",
  stripe: "whsec_stripe",
  "standard-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
};
const rawBody = new TextEncoder().encode('{"event":"ping"}');

describe("signers", () => {
  it("has a signer for every scheme that has a verifier", () => {
    expect(Object.keys(signers).sort()).toEqual(Object.keys(verifiers).sort());
    expect([...schemes].sort()).toEqual(Object.keys(verifiers).sort());
  });

  it.each(schemes)(
    "%s: the registry's verifier accepts what the registry's signer produced",
    async (scheme) => {
      const headers = new Headers(
        await signers[scheme]({ rawBody, secret: SECRETS[scheme], now: NOW, id: "d-1" }),
      );
      const result = await verifiers[scheme]({
        rawBody,
        headers,
        secrets: [{ id: "K", value: SECRETS[scheme] }],
        now: NOW,
      });
      expect(result).toEqual({ ok: true, keyId: "K" });
    },
  );

  it.each(schemes)("%s: a signature for one secret is refused under another", async (scheme) => {
    const headers = new Headers(await signers[scheme]({ rawBody, secret: SECRETS[scheme], now: NOW }));
    const other = scheme === "standard-webhooks" ? "whsec_b3RoZXIgc2VjcmV0IGtleQ==" : `${SECRETS[scheme]}x`;
    const result = await verifiers[scheme]({
      rawBody,
      headers,
      secrets: [{ id: "K", value: other }],
      now: NOW,
    });
    expect(result).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("produces deterministic signatures for a given secret, clock and id", async () => {
    const sign = () =>
      signers["standard-webhooks"]({ rawBody, secret: SECRETS["standard-webhooks"], now: NOW, id: "msg_1" });
    expect(await sign()).toEqual(await sign());
  });
});
