import { describe, expect, it } from "vitest";
import { verifiers } from "../../../src/core/verify/index.ts";
import { signedRequest } from "../../fixtures/signed-request.ts";

const NOW = 1_700_000_000_000;

describe("signedRequest fixture", () => {
  it("builds a POST whose exact body bytes verify", async () => {
    const req = await signedRequest({
      scheme: "github",
      url: "http://hookline.test/webhooks/in/gh",
      body: { zen: "hi" },
      secret: "s",
      now: NOW,
      id: "d-1",
    });
    expect(req.method).toBe("POST");
    expect(req.headers.get("content-type")).toBe("application/json");
    expect(req.headers.get("x-github-delivery")).toBe("d-1");
    const rawBody = new Uint8Array(await req.arrayBuffer());
    expect(new TextDecoder().decode(rawBody)).toBe('{"zen":"hi"}');
    const result = await verifiers.github({
      rawBody,
      headers: req.headers,
      secrets: [{ id: "GH", value: "s" }],
      now: NOW,
    });
    expect(result).toEqual({ ok: true, keyId: "GH" });
  });

  it("sends a string body unchanged and lets extra headers override the signed ones", async () => {
    const req = await signedRequest({
      scheme: "stripe",
      url: "http://hookline.test/webhooks/in/stripe",
      body: "not json",
      secret: "whsec_x",
      now: NOW,
      headers: { "Stripe-Signature": "t=1,v1=00", "X-Extra": "1" },
    });
    expect(await req.text()).toBe("not json");
    expect(req.headers.get("stripe-signature")).toBe("t=1,v1=00");
    expect(req.headers.get("x-extra")).toBe("1");
  });
});
