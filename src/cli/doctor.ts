import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  GRAPH_VERSIONS_RECORDED,
  GRAPH_VERSIONS_SOURCE,
  graphVersionVerdict,
} from "../config/graph-versions.ts";
import { formatIssues, loadConfig } from "../config/load.ts";
import type { HooklineConfig, Source } from "../config/schema.ts";
import { optionalSecrets, verificationSecrets } from "../config/source-secrets.ts";
import { checkOllama } from "../models/ollama-check.ts";
import { QUEUES } from "../queue/consumers.ts";
import { BASE_FILE, overlayFile, overlayNames, readLayer } from "./config-files.ts";
import { HISTORY_MIGRATIONS, redact } from "./db.ts";
import { DEV_VARS, readDevVars } from "./dev-vars.ts";
import { oneLine } from "./load.ts";
import { defaultBotTokenEnv } from "./telegram.ts";

export const DOCTOR_USAGE = `  doctor [--env <HOOKLINE_ENV>] [--offline]
                                          Check config, overlays, secrets, models, wrangler.toml, Graph API
                                          version, Postgres and the Telegram webhook; exits 1 on a problem`;

/** One check's verdict. `fail` makes `hookline doctor` exit 1; `warn` and `skip` do not. */
export interface Finding {
  check: string;
  level: "ok" | "warn" | "fail" | "skip";
  message: string;
  fix?: string;
}

export interface DoctorOptions {
  /** The project: hookline.yaml, config/, wrangler.toml, .dev.vars. */
  root: string;
  /** The overlay to check (default: HOOKLINE_ENV from `vars`). */
  env?: string;
  /** The environment secrets come from besides .dev.vars (default process.env). */
  vars?: Readonly<Record<string, string | undefined>>;
  /** Today, for the Graph API expiry (default Date.now()). */
  now?: number;
  /** No network checks (Telegram, Ollama): they are reported as skipped. */
  offline?: boolean;
  fetch?: typeof fetch;
}

const NETWORK_TIMEOUT_MS = 3_000;
/** Hookline's own source and packages, whatever project it checks. */
const PACKAGE_ROOT = resolve(import.meta.dirname, "../..");

/**
 * `hookline doctor`: every check, in order. Never throws for a problem it can name: each is a finding with
 * its fix.
 *
 * @example const findings = await doctor({ root: process.cwd() });
 */
export async function doctor(opts: DoctorOptions): Promise<Finding[]> {
  const vars = opts.vars ?? process.env;
  const envName = opts.env ?? (vars.HOOKLINE_ENV || undefined);
  const findings: Finding[] = [];
  const config = checkConfig(opts.root, envName, findings);
  const secret = secretLookup(opts.root, vars);
  if (config) {
    checkSecrets(config, secret, findings);
    await checkModels(config, secret, opts, findings);
    checkGraphVersions(config, opts.now ?? Date.now(), findings);
  } else {
    findings.push({ check: "secrets", level: "skip", message: "config does not load; fix it first" });
  }
  await checkWrangler(opts.root, findings);
  await checkPostgres(secret("DATABASE_URL"), findings);
  if (config) await checkTelegram(config, secret, opts, findings);
  return findings;
}

/** `hookline doctor [--env X] [--offline]`: prints one line per finding, exits 1 if any failed. */
export async function doctorCommand(root: string, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { env: { type: "string" }, offline: { type: "boolean", default: false } },
  });
  const findings = await doctor({ root, env: values.env, offline: values.offline });
  for (const f of findings) console.log(formatFinding(f));
  const failed = findings.filter((f) => f.level === "fail").length;
  const warned = findings.filter((f) => f.level === "warn").length;
  console.log(
    failed
      ? `hookline doctor: ${failed} problem(s), ${warned} warning(s)`
      : `hookline doctor: no problems${warned ? `, ${warned} warning(s)` : ""}`,
  );
  return failed ? 1 : 0;
}

export function formatFinding(f: Finding): string {
  const tag = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" }[f.level];
  return `${tag} ${f.check}: ${f.message}${f.fix ? ` — fix: ${f.fix}` : ""}`;
}

// ---- config and overlays ------------------------------------------------------------------------------

function checkConfig(root: string, envName: string | undefined, findings: Finding[]): HooklineConfig | null {
  // A problem in hookline.yaml shows in the base and in every overlay merged over it: report it once.
  const seen = new Set<string>();
  const out = {
    push(f: Finding) {
      const line = formatFinding(f);
      if (!seen.has(line)) findings.push(f);
      seen.add(line);
    },
  };
  const base = readLayer(root, BASE_FILE);
  if (!base.ok) {
    for (const issue of base.issues) out.push(configFinding(issue));
    return null;
  }
  const names = overlayNames(root);
  let broken = false;
  const baseResult = loadConfig([base.layer]);
  if (!baseResult.ok) {
    broken = true;
    for (const issue of baseResult.issues) out.push(configFinding(issue));
  }
  let chosen: HooklineConfig | null = baseResult.ok ? baseResult.config : null;
  for (const name of names) {
    const overlay = readLayer(root, overlayFile(name));
    const merged = overlay.ok ? loadConfig([base.layer, overlay.layer]) : overlay;
    if (!merged.ok) {
      broken = true;
      for (const issue of merged.issues) out.push(configFinding(issue));
      if (name === envName) chosen = null;
    } else if (name === envName) chosen = merged.config;
  }
  if (!broken) {
    const list = names.length ? ` (+ overlays: ${names.join(", ")})` : "";
    out.push({ check: "config", level: "ok", message: `${BASE_FILE}${list} valid` });
  }
  if (envName && !names.includes(envName)) {
    out.push({
      check: "overlay",
      level: "fail",
      message: `HOOKLINE_ENV=${envName} names no overlay: ${overlayFile(envName)} does not exist (overlays: ${names.join(", ") || "none"})`,
      fix: `create ${overlayFile(envName)} (an empty file is fine), or set HOOKLINE_ENV to ${names.length ? `one of: ${names.join(", ")}` : "nothing"}`,
    });
    return null;
  }
  if (envName)
    out.push({
      check: "overlay",
      level: "ok",
      message: `HOOKLINE_ENV=${envName} uses ${overlayFile(envName)}`,
    });
  return broken ? null : chosen;
}

function configFinding(issue: { file: string; path: string; message: string; fix: string }): Finding {
  return {
    check: "config",
    level: "fail",
    message: `${issue.file}: ${issue.path}: ${issue.message}`,
    fix: issue.fix,
  };
}

// ---- secrets ----------------------------------------------------------------------------------------------

type SecretLookup = (name: string) => string | undefined;

function secretLookup(root: string, vars: Readonly<Record<string, string | undefined>>): SecretLookup {
  const file = readDevVars(root);
  return (name) => vars[name] || file[name] || undefined;
}

const putFix = (name: string) =>
  `add ${name}=… to ${DEV_VARS} (npm start generates dev values), or \`wrangler secret put ${name}\` in production`;

function checkSecrets(config: HooklineConfig, secret: SecretLookup, out: Finding[]): void {
  let problems = 0;
  for (const [name, s] of Object.entries(config.sources)) {
    for (const names of verificationSecrets(s)) {
      if (names.some((n) => secret(n))) continue;
      problems++;
      out.push({
        check: "secrets",
        level: "fail",
        message: `${names.join(" or ")} (sources.${name}) is not set: every delivery to ${name} is refused with 503`,
        fix: putFix(names[0] as string),
      });
    }
    for (const n of optionalSecrets(s)) {
      if (secret(n)) continue;
      out.push({
        check: "secrets",
        level: "warn",
        message: `${n} (sources.${name}) is not set: ${name} records deliveries but cannot answer`,
        fix: putFix(n),
      });
    }
  }
  if (!secret(config.admin.tokenEnv)) {
    out.push({
      check: "secrets",
      level: "warn",
      message: `${config.admin.tokenEnv} is not set: the admin API, /runs and /metrics are closed`,
      fix: putFix(config.admin.tokenEnv),
    });
  }
  if (problems === 0)
    out.push({ check: "secrets", level: "ok", message: "every source's verification secret is set" });
}

// ---- models -----------------------------------------------------------------------------------------------

/** The model strings the workflows use (after `model: default`), with the steps that use them. */
export function modelsUsed(config: HooklineConfig): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}[${i}]`));
    else if (node && typeof node === "object") {
      const o = node as Record<string, unknown>;
      if (o.kind === "llm" && typeof o.model === "string")
        used.set(o.model, [...(used.get(o.model) ?? []), `${path}.model`]);
      for (const [k, v] of Object.entries(o)) if (typeof v === "object") walk(v, `${path}.${k}`);
    }
  };
  for (const [id, wf] of Object.entries(config.workflows)) walk(wf.steps, `workflows.${id}.steps`);
  return used;
}

async function checkModels(
  config: HooklineConfig,
  secret: SecretLookup,
  opts: DoctorOptions,
  out: Finding[],
): Promise<void> {
  const used = modelsUsed(config);
  // The model strings themselves were checked with the config (`model: gpt4` fails there, with its path).
  out.push({
    check: "models",
    level: "ok",
    message: `model strings valid: ${[...used.keys()].join(", ") || "(no llm steps)"}`,
  });
  const openai = [...used.keys()].filter((m) => m.startsWith("openai:"));
  if (openai.length && !secret("OPENAI_API_KEY")) {
    out.push({
      check: "models",
      level: "fail",
      message: `${openai.join(", ")} need OPENAI_API_KEY, which is not set (${used.get(openai[0] as string)?.[0]})`,
      fix: putFix("OPENAI_API_KEY"),
    });
  }
  const ollama = [...used.keys()].filter((m) => m.startsWith("ollama:"));
  if (ollama.length === 0) return;
  if (opts.offline) {
    out.push({ check: "models", level: "skip", message: "--offline: Ollama not asked" });
    return;
  }
  for (const model of ollama) {
    const check = await checkOllama({
      baseUrl: secret("OLLAMA_BASE_URL") ?? "http://127.0.0.1:11434",
      model: model.slice("ollama:".length),
      fetch: opts.fetch ?? fetch,
      timeoutMs: NETWORK_TIMEOUT_MS,
    });
    out.push(
      check.ok
        ? { check: "models", level: "ok", message: `Ollama has ${model.slice("ollama:".length)}` }
        : { check: "models", level: "warn", message: check.message },
    );
  }
}

// ---- WhatsApp Graph API version ----------------------------------------------------------------------------

function checkGraphVersions(config: HooklineConfig, now: number, out: Finding[]): void {
  for (const [name, s] of Object.entries(config.sources)) {
    if (s.channel !== "whatsapp") continue;
    const v = graphVersionVerdict(s.graphVersion, now);
    out.push({
      check: "graph-api",
      level: v.level,
      message: `sources.${name}.graphVersion: ${v.message} [${GRAPH_VERSIONS_SOURCE}, recorded ${GRAPH_VERSIONS_RECORDED}]`,
      ...(v.level !== "ok" && { fix: v.fix }),
    });
  }
}

// ---- wrangler.toml ----------------------------------------------------------------------------------------

interface RawWrangler {
  compatibility_date?: string;
  durable_objects?: { bindings?: { name: string; class_name: string; script_name?: string }[] };
  migrations?: {
    tag: string;
    new_classes?: string[];
    new_sqlite_classes?: string[];
    deleted_classes?: string[];
  }[];
  queues?: {
    producers?: { binding: string; queue: string }[];
    consumers?: { queue: string; dead_letter_queue?: string }[];
  };
}

/** What the code binds (src/env.ts): Durable Object bindings with their classes, and queue producers. */
export function codeBindings(envSource: string): { objects: Map<string, string>; queues: string[] } {
  const objects = new Map<string, string>();
  for (const m of envSource.matchAll(/^\s*(\w+): DurableObjectNamespace<(\w+)>/gm))
    objects.set(m[1] as string, m[2] as string);
  const queues = [...envSource.matchAll(/^\s*(\w+): Queue</gm)].map((m) => m[1] as string);
  return { objects, queues };
}

/** The date of the workerd build wrangler runs: version `1.20261102.1` → `2026-11-02`. */
export function workerdDate(version: string): string | null {
  const m = /^\d+\.(\d{4})(\d{2})(\d{2})\./.exec(version);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

async function checkWrangler(root: string, out: Finding[]): Promise<void> {
  const file = join(root, "wrangler.toml");
  let raw: RawWrangler;
  try {
    const { experimental_readRawConfig } = await import("wrangler");
    raw = experimental_readRawConfig({ config: file }).rawConfig as RawWrangler;
  } catch (err) {
    out.push({
      check: "wrangler",
      level: "fail",
      message: `wrangler.toml: ${oneLine((err as Error).message)}`,
      fix: "restore wrangler.toml from the repository, or fix the TOML it names",
    });
    return;
  }
  const before = out.length;
  const fail = (message: string, fix: string) =>
    out.push({ check: "wrangler", level: "fail", message: `wrangler.toml: ${message}`, fix });
  const code = codeBindings(readFileSync(join(PACKAGE_ROOT, "src/env.ts"), "utf8"));
  const bindings = raw.durable_objects?.bindings ?? [];
  for (const [binding, className] of code.objects) {
    const found = bindings.find((b) => b.name === binding);
    if (!found)
      fail(
        `no Durable Object binding ${binding}`,
        `add [[durable_objects.bindings]] name = "${binding}", class_name = "${className}"`,
      );
    else if (found.class_name !== className) {
      fail(
        `${binding} is bound to class ${found.class_name}, the code exports ${className}`,
        `set class_name = "${className}"`,
      );
    }
  }
  const migrations = raw.migrations ?? [];
  for (const className of code.objects.values()) {
    const kv = migrations.find((m) => m.new_classes?.includes(className));
    const sqlite = migrations.find((m) => m.new_sqlite_classes?.includes(className));
    if (kv)
      fail(
        `migration ${kv.tag} creates ${className} without SQLite (new_classes)`,
        `Hookline's objects need SQLite storage: a new_sqlite_classes migration for ${className}`,
      );
    else if (!sqlite)
      fail(
        `no migration creates ${className}`,
        `add [[migrations]] tag = "v${migrations.length + 1}", new_sqlite_classes = ["${className}"]`,
      );
  }
  const producers = raw.queues?.producers ?? [];
  const expectedProducers: Record<string, string> = { STEPS: QUEUES.steps, EVENTS: QUEUES.events };
  for (const binding of code.queues) {
    const found = producers.find((p) => p.binding === binding);
    const queue = expectedProducers[binding];
    if (!found)
      fail(
        `no queue producer ${binding}`,
        `add [[queues.producers]] binding = "${binding}", queue = "${queue ?? "…"}"`,
      );
    else if (queue && found.queue !== queue)
      fail(
        `producer ${binding} sends to ${found.queue}, the consumers read ${queue}`,
        `set queue = "${queue}"`,
      );
  }
  const consumers = raw.queues?.consumers ?? [];
  const dlqOf: Record<string, string> = {
    [QUEUES.steps]: QUEUES.deadSteps,
    [QUEUES.events]: QUEUES.deadEvents,
  };
  for (const queue of Object.values(QUEUES)) {
    const found = consumers.find((c) => c.queue === queue);
    if (!found) {
      fail(
        `no consumer for queue ${queue}`,
        `add [[queues.consumers]] queue = "${queue}" (see the repository's wrangler.toml)`,
      );
      continue;
    }
    const dlq = dlqOf[queue];
    if (dlq && found.dead_letter_queue !== dlq) {
      fail(
        `queue ${queue} has ${found.dead_letter_queue ? `dead_letter_queue = "${found.dead_letter_queue}"` : "no dead_letter_queue"}: exhausted messages would be lost`,
        `set dead_letter_queue = "${dlq}" on its [[queues.consumers]]`,
      );
    }
  }
  const version = readWorkerdVersion();
  const bundled = version ? workerdDate(version) : null;
  const date = raw.compatibility_date;
  if (!date) fail("no compatibility_date", `set compatibility_date = "${bundled ?? "YYYY-MM-DD"}"`);
  else if (bundled && date > bundled) {
    fail(
      `compatibility_date ${date} is newer than the bundled workerd ${version} (${bundled}): wrangler dev refuses it`,
      `set compatibility_date = "${bundled}" or earlier, or update wrangler`,
    );
  }
  if (out.length === before) {
    out.push({
      check: "wrangler",
      level: "ok",
      message: `bindings, queues (with ${QUEUES.deadSteps}, ${QUEUES.deadEvents}) and migrations match the code; compatibility_date ${date} ≤ workerd ${bundled ?? "?"}`,
    });
  }
}

function readWorkerdVersion(): string | null {
  try {
    const require = createRequire(join(PACKAGE_ROOT, "package.json"));
    return (JSON.parse(readFileSync(require.resolve("workerd/package.json"), "utf8")) as { version: string })
      .version;
  } catch {
    return null;
  }
}

// ---- Postgres -------------------------------------------------------------------------------------------

async function checkPostgres(url: string | undefined, out: Finding[]): Promise<void> {
  if (!url) {
    out.push({
      check: "postgres",
      level: "skip",
      message: "DATABASE_URL not set: history stays in the Durable Object index",
    });
    return;
  }
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: NETWORK_TIMEOUT_MS });
  const where = redact(url);
  try {
    await client.connect();
  } catch (err) {
    out.push({
      check: "postgres",
      level: "fail",
      message: `cannot reach ${where}: ${(err as Error).message}`,
      fix: "start Postgres, or fix DATABASE_URL (env or .dev.vars)",
    });
    return;
  }
  try {
    const journal = JSON.parse(readFileSync(join(HISTORY_MIGRATIONS, "meta/_journal.json"), "utf8")) as {
      entries: unknown[];
    };
    const table = await client.query<{ t: string | null }>(
      "select to_regclass('drizzle.__drizzle_migrations')::text as t",
    );
    const applied = table.rows[0]?.t
      ? Number(
          (await client.query<{ n: string }>("select count(*) as n from drizzle.__drizzle_migrations"))
            .rows[0]?.n ?? 0,
        )
      : 0;
    if (applied < journal.entries.length) {
      out.push({
        check: "postgres",
        level: "fail",
        message: `${where} has ${applied} of ${journal.entries.length} history migrations`,
        fix: "npm run hookline -- db migrate",
      });
    } else
      out.push({ check: "postgres", level: "ok", message: `${where} reachable, history schema up to date` });
  } finally {
    await client.end().catch(() => {});
  }
}

// ---- Telegram webhook ----------------------------------------------------------------------------------

async function checkTelegram(
  config: HooklineConfig,
  secret: SecretLookup,
  opts: DoctorOptions,
  out: Finding[],
): Promise<void> {
  for (const [name, s] of Object.entries(config.sources)) {
    if (s.channel !== "telegram") continue;
    const tokenEnv = s.botTokenEnv ?? defaultBotTokenEnv(name);
    const token = secret(tokenEnv);
    if (!token) {
      out.push({ check: "telegram", level: "skip", message: `${name}: no bot token set, webhook not asked` });
      continue;
    }
    if (opts.offline) {
      out.push({ check: "telegram", level: "skip", message: `${name}: --offline, webhook not asked` });
      continue;
    }
    const root = ((s.apiRootEnv && secret(s.apiRootEnv)) || s.apiRoot).replace(/\/+$/, "");
    let info: { url?: string; pending_update_count?: number; last_error_message?: string };
    try {
      const res = await (opts.fetch ?? fetch)(`${root}/bot${token}/getWebhookInfo`, {
        signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS),
      });
      const body = (await res.json()) as { ok: boolean; result?: typeof info; description?: string };
      if (!body.ok || !body.result) {
        out.push({
          check: "telegram",
          level: "fail",
          message: `${name}: Telegram refused getWebhookInfo: ${body.description ?? `HTTP ${res.status}`}`,
          fix: `check ${tokenEnv} (the token from @BotFather)`,
        });
        continue;
      }
      info = body.result;
    } catch (err) {
      out.push({
        check: "telegram",
        level: "skip",
        message: `${name}: Telegram not reachable (${new URL(root).host}: ${(err as Error).name === "TimeoutError" ? "timeout" : "no network"}), webhook not asked`,
      });
      continue;
    }
    const setFix = `npm run hookline -- telegram set-webhook --bot ${name} --url https://<your-worker>`;
    if (!info.url)
      out.push({
        check: "telegram",
        level: "warn",
        message: `${name}: no webhook set, the bot gets no updates`,
        fix: setFix,
      });
    else if (!info.url.endsWith(`/webhooks/telegram/${name}`)) {
      out.push({
        check: "telegram",
        level: "warn",
        message: `${name}: the webhook points at ${info.url}, not at /webhooks/telegram/${name}`,
        fix: setFix,
      });
    } else if (info.last_error_message) {
      out.push({
        check: "telegram",
        level: "warn",
        message: `${name}: Telegram's last delivery failed: ${info.last_error_message} (${info.pending_update_count ?? 0} pending)`,
        fix: "check the Worker's URL and logs; `telegram webhook-info` shows the state",
      });
    } else
      out.push({
        check: "telegram",
        level: "ok",
        message: `${name}: webhook ${info.url}, ${info.pending_update_count ?? 0} pending`,
      });
  }
}
