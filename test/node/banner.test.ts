import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { banner } from "../../src/cli/banner.ts";
import { loadFromDisk } from "../../src/cli/load.ts";

// The start banner is a log line: `hookline serve` in production prints it to whatever collects stdout.
describe("start banner", () => {
  const token = "tg-banner-secret-token-5e1f";
  const dirs: string[] = [];
  afterEach(() => {
    delete process.env.TELEGRAM_DEMO_SECRET_TOKEN;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const config = loadFromDisk(process.cwd(), "test");
  const print = (root: string) =>
    banner({ root, config, url: "http://127.0.0.1:8788", title: "Hookline is running." });

  it("never prints the Telegram secret token, from the environment or from .dev.vars", async () => {
    const root = mkdtempSync(join(tmpdir(), "hookline-banner-"));
    dirs.push(root);
    process.env.TELEGRAM_DEMO_SECRET_TOKEN = token;
    const fromEnv = await print(root);
    expect(fromEnv).not.toContain(token);
    expect(fromEnv).toContain('-H "X-Telegram-Bot-Api-Secret-Token: $TELEGRAM_DEMO_SECRET_TOKEN"');

    delete process.env.TELEGRAM_DEMO_SECRET_TOKEN;
    writeFileSync(join(root, ".dev.vars"), `TELEGRAM_DEMO_SECRET_TOKEN=${token}\n`);
    const fromDevVars = await print(root);
    expect(fromDevVars).not.toContain(token);
    expect(fromDevVars).toContain("$(grep '^TELEGRAM_DEMO_SECRET_TOKEN=' .dev.vars | cut -d= -f2-)");
  });
});
