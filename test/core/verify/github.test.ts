import { describe, expect, it } from "vitest";
import { signGithub } from "../../../src/core/sign/index.ts";
import { verifyGithub } from "../../../src/core/verify/index.ts";
import { bytes, flipByte, input, NOW, secret } from "./helpers.ts";

// The worked example from GitHub's "Validating webhook deliveries" page.
const DOC_SECRET = "It's a Secret to Everybody";
const DOC_BODY = bytes("Hello, World!");
const DOC_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
const HEADER = "X-Hub-Signature-256";

const docInput = (signature: string | undefined, secrets = [secret("GH", DOC_SECRET)]) =>
  input({ rawBody: DOC_BODY, secrets, headers: signature === undefined ? {} : { [HEADER]: signature } });

describe("verifyGithub", () => {
  it("accepts GitHub's documented example delivery", async () => {
    expect(await verifyGithub(docInput(DOC_SIGNATURE))).toEqual({ ok: true, keyId: "GH" });
  });

  it("accepts an upper-case hex digest", async () => {
    expect((await verifyGithub(docInput(DOC_SIGNATURE.toUpperCase().replace("SHA256", "sha256")))).ok).toBe(
      true,
    );
  });

  it("rejects a delivery without X-Hub-Signature-256", async () => {
    expect(await verifyGithub(docInput(undefined))).toEqual({ ok: false, reason: "missing_header" });
  });

  it("ignores the legacy SHA-1 X-Hub-Signature header", async () => {
    const result = await verifyGithub(
      input({
        rawBody: DOC_BODY,
        secrets: [secret("GH", DOC_SECRET)],
        headers: { "X-Hub-Signature": "sha1=00" },
      }),
    );
    expect(result).toEqual({ ok: false, reason: "missing_header" });
  });

  it.each([
    ["no sha256= prefix", DOC_SIGNATURE.slice("sha256=".length)],
    ["a sha1 prefix", DOC_SIGNATURE.replace("sha256", "sha1")],
    ["a truncated digest", DOC_SIGNATURE.slice(0, -2)],
    ["non-hex characters", `${DOC_SIGNATURE.slice(0, -1)}g`],
  ])("rejects a signature header with %s as malformed", async (_, header) => {
    expect(await verifyGithub(docInput(header))).toEqual({ ok: false, reason: "malformed_header" });
  });

  it("rejects a body changed after signing", async () => {
    const result = await verifyGithub({ ...docInput(DOC_SIGNATURE), rawBody: flipByte(DOC_BODY, 0) });
    expect(result).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("rejects a signature made with another secret", async () => {
    expect(await verifyGithub(docInput(DOC_SIGNATURE, [secret("GH", "another secret")]))).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("fails closed with no_secret when every secret is empty", async () => {
    expect(await verifyGithub(docInput(DOC_SIGNATURE, [secret("A", ""), secret("B", "")]))).toEqual({
      ok: false,
      reason: "no_secret",
    });
  });

  it("accepts the second secret during rotation and reports its id", async () => {
    const result = await verifyGithub(
      docInput(DOC_SIGNATURE, [secret("OLD", "old"), secret("NEW", DOC_SECRET)]),
    );
    expect(result).toEqual({ ok: true, keyId: "NEW" });
  });

  it("round-trips with signGithub, which also sets a delivery id", async () => {
    const rawBody = bytes('{"zen":"Keep it logically awesome."}');
    const signed = await signGithub({ rawBody, secret: "gh-secret", now: NOW, id: "delivery-1" });
    expect(signed["X-GitHub-Delivery"]).toBe("delivery-1");
    const headers = new Headers(signed);
    expect(await verifyGithub({ rawBody, headers, secrets: [secret("GH", "gh-secret")], now: NOW })).toEqual({
      ok: true,
      keyId: "GH",
    });
  });

  it("signs with a random UUID delivery id when none is given", async () => {
    const signed = await signGithub({ rawBody: bytes("{}"), secret: "s", now: NOW });
    expect(signed["X-GitHub-Delivery"]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it("verifies bodies that are not valid UTF-8 byte for byte", async () => {
    const rawBody = new Uint8Array([0xff, 0xfe, 0x00, 0x80]);
    const headers = new Headers(await signGithub({ rawBody, secret: "s", now: NOW }));
    expect((await verifyGithub({ rawBody, headers, secrets: [secret("GH", "s")], now: NOW })).ok).toBe(true);
    const other = new Uint8Array([0xff, 0xfe, 0x00, 0x81]);
    expect((await verifyGithub({ rawBody: other, headers, secrets: [secret("GH", "s")], now: NOW })).ok).toBe(
      false,
    );
  });
});
