import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { configuredSecretNames, redactSecrets, secretValuesOf } from "../../src/core/redact-secrets.ts";

const loaded = loadConfig([
  {
    file: "hookline.yaml",
    data: {
      version: 1,
      sources: {
        bot: { channel: "telegram", secretEnv: "BOT_SECRET", botTokenEnv: "MY_BOT" },
        orders: {
          channel: "generic",
          scheme: "standard-webhooks",
          secretEnv: ["NEW_KEY", "OLD_KEY"],
          reply: { url: "https://example.com/hook", secretEnv: "REPLY_SIGNING" },
        },
      },
    },
  },
]);
if (!loaded.ok) throw new Error("test config does not load");
const config = loaded.config;

describe("secret redaction", () => {
  it("names every secret the config declares, whatever it is called", () => {
    expect(configuredSecretNames(config).sort()).toEqual(
      ["BOT_SECRET", "HOOKLINE_ADMIN_TOKEN", "MY_BOT", "NEW_KEY", "OLD_KEY", "REPLY_SIGNING"].sort(),
    );
  });

  it("masks declared secrets and env values named like secrets, not settings or short values", () => {
    const values = secretValuesOf(config, {
      MY_BOT: "123:bot-token-value",
      NEW_KEY: "whsec_bmV3LWtleS12YWx1ZQ==",
      OPENAI_API_KEY: "sk-live-abcdef",
      DATABASE_URL: "postgres://u:p@db/x",
      OPENAI_BASE_URL: "https://api.openai.com/v1",
      HOOKLINE_ENV: "production",
      OLD_KEY: "abc",
    });
    const text = redactSecrets(
      "sent 123:bot-token-value and sk-live-abcdef to https://api.openai.com/v1 (production); key " +
        "bmV3LWtleS12YWx1ZQ== via postgres://u:p@db/x, abc",
      values,
    );
    expect(text).toBe(
      "sent [redacted] and [redacted] to https://api.openai.com/v1 (production); key [redacted] via [redacted], abc",
    );
  });

  it("masks a secret that contains another one whole", () => {
    const values = secretValuesOf(config, { MY_BOT: "token-123456", NEW_KEY: "token-123456-extended" });
    expect(redactSecrets("x token-123456-extended y token-123456", values)).toBe("x [redacted] y [redacted]");
  });
});
