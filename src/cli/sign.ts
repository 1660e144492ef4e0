import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { schemeOf } from "../config/schema.ts";
import { signers } from "../core/sign/index.ts";
import { secretValue } from "./dev-vars.ts";
import { CliError, loadFromDisk } from "./load.ts";

export interface SignOptions {
  root: string;
  source: string;
  body: string;
  env?: string;
  id?: string;
  format: "curl" | "headers" | "json";
  url: string;
}

/** The route a source listens on. */
export function routeOf(channel: string, name: string): string {
  if (channel === "telegram") return `/webhooks/telegram/${name}`;
  if (channel === "whatsapp") return `/webhooks/whatsapp/${name}`;
  return `/webhooks/in/${name}`;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Signs a body for a configured source with its first secret, exactly as the real sender would, and prints
 * the headers (or a ready-to-paste curl).
 */
export async function sign(opts: SignOptions): Promise<string> {
  const config = loadFromDisk(opts.root, opts.env);
  const source = config.sources[opts.source];
  if (!source) {
    throw new CliError(
      `no source "${opts.source}" in hookline.yaml (configured: ${Object.keys(config.sources).join(", ")})`,
    );
  }
  const rawBody = readJsonBody(opts.root, opts.body);
  const secretNames = source.channel === "whatsapp" ? source.appSecretEnv : source.secretEnv;
  const name = secretNames[0] as string;
  const secret = secretValue(opts.root, name);
  if (!secret)
    throw new CliError(`${name} is not set: add it to .dev.vars (npm start creates one) or the env`);
  const headers = {
    "content-type": "application/json",
    ...(await signers[schemeOf(source)]({ rawBody, secret, now: Date.now(), id: opts.id })),
  };
  if (opts.format === "json") return JSON.stringify(headers, null, 2);
  if (opts.format === "headers")
    return Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join("\n");
  const url = `${opts.url.replace(/\/$/, "")}${routeOf(source.channel, opts.source)}`;
  const lines = [`curl -sS -X POST ${shellQuote(url)}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`  -H ${shellQuote(`${k}: ${v}`)}`);
  lines.push(`  --data-binary ${shellQuote(new TextDecoder().decode(rawBody))}`);
  return lines.join(" \\\n");
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The body to sign, exactly as it will be sent: a file, or stdin for `-`. A missing, unreadable or non-JSON
 * body is a CliError naming the file and the fix (every route parses JSON after verifying, so a non-JSON
 * body would only earn a 400 `malformed_json`).
 */
export function readJsonBody(root: string, path: string): Uint8Array {
  const label = path === "-" ? "stdin" : path;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(path === "-" ? readFileSync(0) : readFileSync(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory"
          : code === "EACCES" || code === "EPERM"
            ? "not readable (permission denied)"
            : (err as Error).message;
    throw new CliError(`--body ${label}: ${why}\n    fix: ${bodyFix(root)}`);
  }
  try {
    JSON.parse(decoder.decode(bytes));
  } catch (err) {
    throw new CliError(
      `--body ${label}: not JSON (${(err as Error).message})\n    fix: every route expects a JSON body; ${bodyFix(root)}`,
    );
  }
  return bytes;
}

function bodyFix(root: string): string {
  let examples: string[] = [];
  try {
    examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".json"));
  } catch {
    // no examples folder here: only the generic advice
  }
  const list = examples.length ? ` (examples: ${examples.map((f) => `examples/${f}`).join(", ")})` : "";
  return `pass a JSON file${list}, or - to read stdin`;
}
