import { describe, expect, it } from "vitest";
import { signTelegram } from "../../../src/core/sign/index.ts";
import { verifyTelegram } from "../../../src/core/verify/index.ts";
import { bytes, input, NOW, secret } from "./helpers.ts";

const HEADER = "X-Telegram-Bot-Api-Secret-Token";
const TOKEN = "tg_secret-Token_123";

describe("verifyTelegram", () => {
  it("accepts an update whose secret token header equals the configured secret", async () => {
    const result = await verifyTelegram(
      input({ headers: { [HEADER]: TOKEN }, secrets: [secret("TG", TOKEN)] }),
    );
    expect(result).toEqual({ ok: true, keyId: "TG" });
  });

  it("reads the header case-insensitively", async () => {
    const result = await verifyTelegram(
      input({ headers: { [HEADER.toLowerCase()]: TOKEN }, secrets: [secret("TG", TOKEN)] }),
    );
    expect(result.ok).toBe(true);
  });

  it("rejects an update without the secret token header", async () => {
    expect(await verifyTelegram(input({ headers: {}, secrets: [secret("TG", TOKEN)] }))).toEqual({
      ok: false,
      reason: "missing_header",
    });
  });

  it("rejects an empty secret token header as missing", async () => {
    const result = await verifyTelegram(input({ headers: { [HEADER]: "" }, secrets: [secret("TG", TOKEN)] }));
    expect(result).toEqual({ ok: false, reason: "missing_header" });
  });

  it.each([
    ["a different token", "tg_secret-Token_124"],
    ["a prefix of the token", TOKEN.slice(0, -1)],
    ["the token with a suffix", `${TOKEN}x`],
    ["the token in another case", TOKEN.toUpperCase()],
  ])("rejects %s", async (_, given) => {
    const result = await verifyTelegram(
      input({ headers: { [HEADER]: given }, secrets: [secret("TG", TOKEN)] }),
    );
    expect(result).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("fails closed with no_secret when no secret is configured", async () => {
    expect(await verifyTelegram(input({ headers: { [HEADER]: TOKEN }, secrets: [] }))).toEqual({
      ok: false,
      reason: "no_secret",
    });
  });

  it("treats an empty-string secret as absent, so an empty header can never match it", async () => {
    const result = await verifyTelegram(input({ headers: { [HEADER]: "" }, secrets: [secret("TG", "")] }));
    expect(result).toEqual({ ok: false, reason: "no_secret" });
  });

  it("treats an unset (undefined) secret from an env lookup as absent", async () => {
    const unset = { id: "TG", value: undefined as unknown as string };
    const result = await verifyTelegram(input({ headers: { [HEADER]: "undefined" }, secrets: [unset] }));
    expect(result).toEqual({ ok: false, reason: "no_secret" });
  });

  it("accepts the second secret during rotation and reports its id", async () => {
    const result = await verifyTelegram(
      input({
        headers: { [HEADER]: "new-token" },
        secrets: [secret("OLD", TOKEN), secret("NEW", "new-token")],
      }),
    );
    expect(result).toEqual({ ok: true, keyId: "NEW" });
  });

  it("round-trips with signTelegram", async () => {
    const rawBody = bytes('{"update_id":1}');
    const headers = new Headers(await signTelegram({ rawBody, secret: TOKEN, now: NOW }));
    expect(await verifyTelegram({ rawBody, headers, secrets: [secret("TG", TOKEN)], now: NOW })).toEqual({
      ok: true,
      keyId: "TG",
    });
  });
});
