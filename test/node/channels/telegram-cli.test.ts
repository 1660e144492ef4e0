import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { CliError } from "../../../src/cli/load.ts";
import { setTelegramWebhook, telegramCommand, telegramWebhookInfo } from "../../../src/cli/telegram.ts";
import { type FakeTelegram, startFakeTelegram } from "../../servers/fake-telegram.ts";

const TOKEN = "7000000001:AAcliTestTokenNeverPrinted";
const SECRET = "tg_cli_secret-token_0123456789";

let telegram: FakeTelegram;
let root: string;

/** A project with two bots: one names its token env and takes edits, one relies on the default name. */
function writeProject(apiRoot: string): string {
  const dir = mkdtempSync(join(tmpdir(), "hookline-tg-cli-"));
  const yaml = `version: 1
sources:
  support-bot:
    channel: telegram
    secretEnv: [TG_CLI_SUPPORT_SECRET, TG_CLI_SUPPORT_SECRET_OLD]
    botTokenEnv: TG_CLI_SUPPORT_TOKEN
    apiRoot: ${apiRoot}/
    chat: { editedMessages: true }
  plain-bot:
    channel: telegram
    secretEnv: TG_CLI_PLAIN_SECRET
    apiRoot: ${apiRoot}
  orders:
    channel: generic
    scheme: standard-webhooks
    secretEnv: TG_CLI_ORDERS_SECRET
`;
  writeFileSync(join(dir, "hookline.yaml"), yaml);
  writeFileSync(
    join(dir, ".dev.vars"),
    `TG_CLI_SUPPORT_SECRET=${SECRET}\nTG_CLI_SUPPORT_TOKEN="${TOKEN}"\nTG_CLI_PLAIN_SECRET=plain_secret\n`,
  );
  return dir;
}

/** The CliError a failing command throws (fails the test when it resolves). */
async function cliError(call: Promise<unknown>): Promise<CliError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

beforeAll(async () => {
  telegram = await startFakeTelegram();
  root = writeProject(telegram.url);
});
afterAll(async () => {
  await telegram.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => telegram.reset());

describe("hookline telegram set-webhook", () => {
  it("sends the bot's route, its secret_token and the updates the config needs", async () => {
    const out = await setTelegramWebhook({
      root,
      bot: "support-bot",
      url: "https://hooks.example.com/",
      dropPending: true,
    });
    expect(telegram.calls).toHaveLength(1);
    const [call] = telegram.calls;
    expect(call?.method).toBe("setWebhook");
    expect(call?.token).toBe(TOKEN);
    expect(call?.body).toEqual({
      url: "https://hooks.example.com/webhooks/telegram/support-bot",
      secret_token: SECRET,
      allowed_updates: ["message", "edited_message", "callback_query"],
      drop_pending_updates: true,
    });
    expect(out).toContain("https://hooks.example.com/webhooks/telegram/support-bot");
    expect(out).not.toContain(SECRET);
  });

  it("leaves out edited_message unless the source handles edits, via the command line", async () => {
    vi.stubEnv("TELEGRAM_PLAIN_BOT_BOT_TOKEN", "7000000002:AAplainToken");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const code = await telegramCommand(root, [
        "set-webhook",
        "--bot",
        "plain-bot",
        "--url",
        "https://h.example",
      ]);
      expect(code).toBe(0);
      expect(log).toHaveBeenCalledWith(
        expect.stringContaining("webhook set: https://h.example/webhooks/telegram/plain-bot"),
      );
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(telegram.calls[0]?.body).toMatchObject({
      allowed_updates: ["message", "callback_query"],
      drop_pending_updates: false,
      secret_token: "plain_secret",
    });
  });

  it("names the env var to set when the bot token is missing", async () => {
    const error = await cliError(setTelegramWebhook({ root, bot: "plain-bot", url: "https://h.example" }));
    expect(error.message).toContain("TELEGRAM_PLAIN_BOT_BOT_TOKEN is not set");
    expect(error.message).toContain("sources.plain-bot.botTokenEnv");
    expect(telegram.calls).toHaveLength(0);
  });

  it("refuses an unknown bot, a non-telegram source and a plain-http URL", async () => {
    expect(
      (await cliError(setTelegramWebhook({ root, bot: "nope", url: "https://h.example" }))).message,
    ).toBe('no source "nope" in hookline.yaml; telegram bots: support-bot, plain-bot');
    expect(
      (await cliError(setTelegramWebhook({ root, bot: "orders", url: "https://h.example" }))).message,
    ).toContain('"orders" is a generic source');
    expect(
      (await cliError(setTelegramWebhook({ root, bot: "support-bot", url: "http://h.example" }))).message,
    ).toContain("https");
    expect(telegram.calls).toHaveLength(0);
  });

  it("passes Telegram's own reason through, without the token", async () => {
    telegram.failNext("setWebhook", 1, {
      kind: "error",
      code: 400,
      description: "Bad Request: bad webhook: Failed to resolve host",
    });
    const error = await cliError(
      setTelegramWebhook({ root, bot: "support-bot", url: "https://nowhere.invalid" }),
    );
    expect(error.message).toContain("bad webhook: Failed to resolve host");
    expect(error.message).not.toContain(TOKEN);
  });
});

describe("hookline telegram webhook-info", () => {
  it("shows the url, pending count, last error as ISO time and the allowed updates", async () => {
    await setTelegramWebhook({ root, bot: "support-bot", url: "https://hooks.example.com" });
    telegram.webhook.pending_update_count = 3;
    telegram.webhook.last_error_date = 1_767_225_600; // 2026-01-01T00:00:00Z
    telegram.webhook.last_error_message = "Wrong response from the webhook: 401 Unauthorized";
    const out = await telegramWebhookInfo({ root, bot: "support-bot" });
    expect(out).toContain("url:                  https://hooks.example.com/webhooks/telegram/support-bot");
    expect(out).toContain("pending_update_count: 3");
    expect(out).toContain("last_error_date:      2026-01-01T00:00:00.000Z");
    expect(out).toContain("last_error_message:   Wrong response from the webhook: 401 Unauthorized");
    expect(out).toContain("allowed_updates:      message, edited_message, callback_query");
    expect(telegram.calls.at(-1)?.method).toBe("getWebhookInfo");
  });

  it("says so when no webhook is set", async () => {
    const out = await telegramWebhookInfo({ root, bot: "support-bot" });
    expect(out).toContain("(none: no webhook set)");
    expect(out).toContain("last_error_date:      -");
  });
});
