import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { CliError, loadFromDisk } from "../../../src/cli/load.ts";
import { sign } from "../../../src/cli/sign.ts";
import { schemeOf } from "../../../src/config/schema.ts";
import { normalizeGeneric } from "../../../src/core/inbound/generic.ts";
import { TelegramUpdate } from "../../../src/core/inbound/telegram.ts";
import { normalizeWhatsApp, WhatsAppWebhook } from "../../../src/core/inbound/whatsapp.ts";
import { verifiers } from "../../../src/core/verify/index.ts";
import { TEST_BINDINGS } from "../../fixtures/secrets.ts";

// `hookline sign` against the repository's own hookline.yaml and examples/: every demo source has a body that
// signs, verifies with the real verifier and passes the route's schema; a bad --body is a clear CliError.
const root = resolve(import.meta.dirname, "../../..");

/** The example body the README points at for each demo source. */
const EXAMPLES: Record<string, string> = {
  "demo-bot": "examples/telegram-update.json",
  "demo-wa": "examples/whatsapp-message.json",
  orders: "examples/order.json",
  github: "examples/github-issue.json",
  stripe: "examples/stripe-event.json",
};

beforeAll(() => {
  for (const [k, v] of Object.entries(TEST_BINDINGS)) vi.stubEnv(k, v);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const run = (source: string, body: string) =>
  sign({ root, source, body, format: "json", url: "http://127.0.0.1:8787" });

describe("hookline sign", () => {
  it("every demo source in hookline.yaml has an example body that signs, verifies and parses", async () => {
    const config = loadFromDisk(root, "development");
    expect(Object.keys(EXAMPLES).sort()).toEqual(Object.keys(config.sources).sort());
    for (const [name, file] of Object.entries(EXAMPLES)) {
      const source = config.sources[name];
      if (!source) throw new Error(`no source ${name}`);
      const headers = new Headers(JSON.parse(await run(name, join(root, file))) as Record<string, string>);
      const rawBody = new Uint8Array(readFileSync(join(root, file)));
      const names = source.channel === "whatsapp" ? source.appSecretEnv : source.secretEnv;
      const secrets = names.map((id) => ({ id, value: TEST_BINDINGS[id as keyof typeof TEST_BINDINGS] }));
      const verdict = await verifiers[schemeOf(source)]({ rawBody, headers, secrets, now: Date.now() });
      expect(verdict, `${name} verifies`).toMatchObject({ ok: true });
      const body = JSON.parse(new TextDecoder().decode(rawBody)) as unknown;
      if (source.channel === "telegram") expect(TelegramUpdate.safeParse(body).success).toBe(true);
      else if (source.channel === "whatsapp") {
        const parsed = WhatsAppWebhook.parse(body);
        expect(normalizeWhatsApp(name, parsed, new Date().toISOString())).toMatchObject({ ok: true });
      } else {
        const normalized = normalizeGeneric({
          source: name,
          scheme: source.scheme,
          headers,
          body,
          receivedAt: new Date().toISOString(),
          sessionPointer: source.sessionKey,
        });
        expect(normalized, `${name} has a delivery id`).toMatchObject({ ok: true });
      }
    }
  });

  it("a missing body file is a CliError naming the file and the examples, not a stack trace", async () => {
    const err = await run("stripe", "event.json").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(/^--body event\.json: no such file\n {4}fix: pass a JSON file/);
    expect((err as Error).message).toContain("examples/stripe-event.json");
  });

  it("a directory or a non-JSON body is refused with the reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookline-sign-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    await expect(run("stripe", dir)).rejects.toThrow(/is a directory/);
    const notJson = join(dir, "event.txt");
    writeFileSync(notJson, "id=evt_1");
    const err = await run("stripe", notJson).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(
      /event\.txt: not JSON \(.*\)\n {4}fix: every route expects a JSON body/,
    );
  });
});
