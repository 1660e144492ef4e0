import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { secretKinds } from "../../../src/cli/dev-vars.ts";
import {
  codeBindings,
  type DoctorOptions,
  doctor,
  type Finding,
  formatFinding,
  workerdDate,
} from "../../../src/cli/doctor.ts";
import { loadFromDisk } from "../../../src/cli/load.ts";
import { closedPortUrl } from "../../servers/closed-port.ts";
import { type FakeTelegram, startFakeTelegram } from "../../servers/fake-telegram.ts";

// `hookline doctor` against temp copies of the project, each broken in one way the issue lists: no doctor,
// `model: gpt4`, invalid YAML, an expiring Graph API version, missing secrets, a missing overlay; plus
// wrangler.toml drift, Postgres and the Telegram webhook.
const repo = process.cwd();
const dirs: string[] = [];
let telegram: FakeTelegram;

beforeAll(async () => {
  telegram = await startFakeTelegram();
});
afterAll(async () => {
  await telegram.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the project's config and wrangler.toml with every secret the config names in `.dev.vars`. */
function project(edit: { yaml?: (s: string) => string; toml?: (s: string) => string; omit?: string[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "hookline-doctor-"));
  dirs.push(dir);
  cpSync(join(repo, "config"), join(dir, "config"), { recursive: true });
  const yaml = readFileSync(join(repo, "hookline.yaml"), "utf8");
  writeFileSync(join(dir, "hookline.yaml"), edit.yaml ? edit.yaml(yaml) : yaml);
  const toml = readFileSync(join(repo, "wrangler.toml"), "utf8");
  writeFileSync(join(dir, "wrangler.toml"), edit.toml ? edit.toml(toml) : toml);
  const names = [
    ...secretKinds(loadFromDisk(repo)).keys(),
    "TELEGRAM_DEMO_BOT_TOKEN",
    "WHATSAPP_DEMO_ACCESS_TOKEN",
  ];
  const lines = names.filter((n) => !edit.omit?.includes(n)).map((n) => `${n}=value-of-${n}`);
  writeFileSync(join(dir, ".dev.vars"), `${lines.join("\n")}\n`);
  return dir;
}

const run = (root: string, o: Partial<DoctorOptions> = {}) => doctor({ root, vars: {}, offline: true, ...o });
const failures = (findings: Finding[]) => findings.filter((f) => f.level === "fail").map(formatFinding);

describe("hookline doctor", { timeout: 90_000 }, () => {
  it("is a CLI command: exits 0 on a good project and 1 with one line per problem and its fix", () => {
    const cli = (root: string) =>
      spawnSync(process.execPath, [join(repo, "src/cli/main.ts"), "doctor", "--offline"], {
        cwd: root,
        env: { PATH: process.env.PATH ?? "" },
        encoding: "utf8",
      });
    const good = cli(project());
    expect(good.stdout).toContain("hookline doctor: no problems");
    expect(good.status).toBe(0);
    const bad = cli(project({ omit: ["GITHUB_WEBHOOK_SECRET"] }));
    expect(bad.status).toBe(1);
    const lines = bad.stdout.split("\n").filter((l) => l.startsWith("FAIL"));
    expect(lines).toEqual([
      expect.stringMatching(/^FAIL secrets: GITHUB_WEBHOOK_SECRET .* — fix: add GITHUB_WEBHOOK_SECRET=…/),
    ]);
  });

  it("fails `model: gpt4` with the file, the step's path and the forms that work", async () => {
    const root = project({
      yaml: (s) =>
        s
          .replace("model: echo\n", "model: echo\n")
          .replace("        model: default\n        system:", "        model: gpt4\n        system:"),
    });
    expect(failures(await run(root))).toEqual([
      'FAIL config: hookline.yaml: workflows.demo-chat.steps[0].model: unknown model "gpt4" (did you mean openai:gpt4 or ollama:gpt4?) — fix: use one of: echo, echo?delayMs=<ms>, openai:<model>, ollama:<model> or default',
    ]);
  });

  it("fails invalid YAML with its line and column", async () => {
    const root = project({ yaml: (s) => s.replace("version: 1", "version: 1\nadmin: [oops") });
    const lines = failures(await run(root));
    expect(lines[0]).toMatch(
      /^FAIL config: hookline\.yaml: line \d+, column \d+: .+ — fix: fix the YAML syntax/,
    );
  });

  it("warns 90 days before the WhatsApp Graph API version expires and fails after", async () => {
    const root = project({
      yaml: (s) => s.replace("    retention: 8d\n", "    retention: 8d\n    graphVersion: v21.0\n"),
    });
    const soon = await run(root, { now: Date.parse("2026-12-01T12:00:00Z") });
    expect(failures(soon)).toEqual([]);
    expect(soon.filter((f) => f.check === "graph-api").map(formatFinding)).toEqual([
      "WARN graph-api: sources.demo-wa.graphVersion: Graph API v21.0 expires on 2027-01-21 (in 52 days) [Meta Graph API changelog, recorded 2026-11-30] — fix: set graphVersion: v26.0 on the source (or remove it to use the default v26.0) and test a reply",
    ]);
    const late = await run(root, { now: Date.parse("2027-02-01T12:00:00Z") });
    expect(failures(late)).toEqual([
      expect.stringContaining(
        "FAIL graph-api: sources.demo-wa.graphVersion: Graph API v21.0 expired on 2027-01-21",
      ),
    ]);
  });

  it("names each missing secret (never a value) and takes the environment too", async () => {
    const root = project({
      omit: ["ORDERS_WEBHOOK_SECRET", "WHATSAPP_DEMO_VERIFY_TOKEN", "HOOKLINE_ADMIN_TOKEN"],
    });
    const findings = await run(root);
    expect(failures(findings)).toEqual([
      expect.stringMatching(/^FAIL secrets: WHATSAPP_DEMO_VERIFY_TOKEN \(sources\.demo-wa\) is not set/),
      expect.stringMatching(/^FAIL secrets: ORDERS_WEBHOOK_SECRET \(sources\.orders\) is not set/),
    ]);
    expect(findings.map(formatFinding)).toContainEqual(
      expect.stringMatching(/^WARN secrets: HOOKLINE_ADMIN_TOKEN is not set/),
    );
    expect(JSON.stringify(findings)).not.toContain("value-of-");
    const fromEnv = await run(root, {
      vars: { ORDERS_WEBHOOK_SECRET: "x", WHATSAPP_DEMO_VERIFY_TOKEN: "y" },
    });
    expect(failures(fromEnv)).toEqual([]);
  });

  it("fails a HOOKLINE_ENV that names no overlay, and an overlay that breaks the config", async () => {
    const root = project();
    expect(failures(await run(root, { vars: { HOOKLINE_ENV: "staging" } }))).toEqual([
      "FAIL overlay: HOOKLINE_ENV=staging names no overlay: config/staging.yaml does not exist (overlays: bench, test) — fix: create config/staging.yaml (an empty file is fine), or set HOOKLINE_ENV to one of: bench, test",
    ]);
    writeFileSync(join(root, "config/staging.yaml"), "defaults:\n  model: llama3\n");
    expect(failures(await run(root, { env: "staging" }))).toEqual([
      expect.stringMatching(/^FAIL config: config\/staging\.yaml: defaults\.model: unknown model "llama3"/),
    ]);
  });

  it("fails wrangler.toml drift: a dead-letter queue, a migration, a binding, a too new compatibility_date", async () => {
    const root = project({
      toml: (s) =>
        s
          .replace('dead_letter_queue = "hookline-events-dlq"\n', "")
          .replace('[[migrations]]\ntag = "v2"\nnew_sqlite_classes = ["RunObject"]\n', "")
          .replace('name = "OPS"\nclass_name = "OpsObject"', 'name = "OPS"\nclass_name = "Ops"')
          .replace('compatibility_date = "2026-11-01"', 'compatibility_date = "2099-01-01"'),
    });
    expect(failures(await run(root))).toEqual([
      'FAIL wrangler: wrangler.toml: OPS is bound to class Ops, the code exports OpsObject — fix: set class_name = "OpsObject"',
      'FAIL wrangler: wrangler.toml: no migration creates RunObject — fix: add [[migrations]] tag = "v2", new_sqlite_classes = ["RunObject"]',
      'FAIL wrangler: wrangler.toml: queue hookline-events has no dead_letter_queue: exhausted messages would be lost — fix: set dead_letter_queue = "hookline-events-dlq" on its [[queues.consumers]]',
      expect.stringMatching(
        /^FAIL wrangler: wrangler\.toml: compatibility_date 2099-01-01 is newer than the bundled workerd .* — fix: set compatibility_date = "\d{4}-\d{2}-\d{2}" or earlier/,
      ),
    ]);
    expect(workerdDate("1.20261102.1")).toBe("2026-11-02");
    expect([...codeBindings(readFileSync(join(repo, "src/env.ts"), "utf8")).objects.values()].sort()).toEqual(
      ["OpsObject", "RunObject", "SessionObject"],
    );
  });

  it("checks Postgres when DATABASE_URL is set: unreachable fails, the migrated test database passes", async () => {
    const root = project();
    const down = await run(root, {
      vars: { DATABASE_URL: `postgres://u:secret-pw@${new URL(await closedPortUrl()).host}/x` },
    });
    expect(failures(down)).toEqual([
      expect.stringMatching(
        /^FAIL postgres: cannot reach postgres:\/\/u:\*\*\*@127\.0\.0\.1:\d+\/x: .* — fix: start Postgres/,
      ),
    ]);
    const url = inject("testDatabaseUrl");
    if (!url) return; // no local Postgres here: the unreachable case above still ran
    const up = await run(root, { vars: { DATABASE_URL: url } });
    expect(up.filter((f) => f.check === "postgres").map((f) => f.level)).toEqual(["ok"]);
  });

  it("asks Telegram for the webhook with a token and network, and skips cleanly offline", async () => {
    const root = project({
      yaml: (s) => s.replace("    apiRootEnv: TELEGRAM_API_ROOT", "    apiRootEnv: TG_ROOT_FOR_DOCTOR"),
    });
    const tg = (vars: Record<string, string>) =>
      run(root, { offline: false, vars }).then((f) =>
        f.filter((x) => x.check === "telegram").map(formatFinding),
      );
    telegram.reset();
    expect(await tg({ TG_ROOT_FOR_DOCTOR: telegram.url })).toEqual([
      "WARN telegram: demo-bot: no webhook set, the bot gets no updates — fix: npm run hookline -- telegram set-webhook --bot demo-bot --url https://<your-worker>",
    ]);
    telegram.webhook = {
      url: "https://h.example/webhooks/telegram/demo-bot",
      pending_update_count: 3,
      last_error_message: "Wrong response from the webhook: 503 Service Unavailable",
    };
    expect(await tg({ TG_ROOT_FOR_DOCTOR: telegram.url })).toEqual([
      expect.stringContaining(
        "WARN telegram: demo-bot: Telegram's last delivery failed: Wrong response from the webhook: 503 Service Unavailable (3 pending)",
      ),
    ]);
    expect(await tg({ TG_ROOT_FOR_DOCTOR: await closedPortUrl() })).toEqual([
      expect.stringMatching(
        /^skip telegram: demo-bot: Telegram not reachable \(127\.0\.0\.1:\d+: no network\), webhook not asked$/,
      ),
    ]);
    expect((await run(root)).filter((f) => f.check === "telegram").map((f) => f.level)).toEqual(["skip"]);
  });
});
