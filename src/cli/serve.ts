import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { serve as serveHttp } from "@hono/node-server";
import type { Secrets } from "../core/secrets.ts";
import { checkOllama, DEFAULT_OLLAMA_BASE_URL } from "../models/ollama-check.ts";
import { createNodeHookline } from "../node/hookline.ts";
import { banner } from "./banner.ts";
import { ensureDevVars, readDevVars } from "./dev-vars.ts";
import { CliError, loadFromDisk } from "./load.ts";

/**
 * `npm run start:node`: the same app, objects and queue consumers as `npm start`, in this Node process.
 * State lives in SQLite files under `--data-dir`, so a restart keeps every acknowledged delivery, waiting
 * run and queued step. `--offline` checks a local Ollama and says what to do if it is missing.
 */
export async function serve(root: string, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: process.env.PORT ?? "8788" },
      host: { type: "string", default: "127.0.0.1" },
      "data-dir": { type: "string", default: process.env.HOOKLINE_DATA_DIR ?? ".hookline" },
      env: { type: "string", default: process.env.HOOKLINE_ENV ?? "development" },
      offline: { type: "boolean", default: false },
      // How soon a queue message whose handler died with the process is redelivered (default 30 s).
      "lease-ms": { type: "string" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port must be 0-65535`);
  // --offline: `model: default` means the local Ollama model for this run (OLLAMA_MODEL, else llama3.2).
  const offlineModel = process.env.OLLAMA_MODEL || readDevVars(root).OLLAMA_MODEL || "llama3.2";
  const offline = { file: "--offline", data: { defaults: { model: `ollama:${offlineModel}` } } };
  const config = loadFromDisk(root, values.env, values.offline ? [offline] : []);
  // Like `npm start`, the development env gets fresh dev secrets on first run; other envs bring their own
  // (a test or staging env must not write secrets into the checkout's .dev.vars).
  if (values.env === "development") {
    const created = ensureDevVars(root, config);
    if (created.length > 0)
      console.log(`hookline: created dev secrets in ${join(root, ".dev.vars")}: ${created.join(", ")}`);
  }
  const secrets = secretsFor(root, values.env);
  const notes: string[] = [];
  if (values.offline) notes.push(await ollamaNote(secrets, offlineModel));

  const dataDir = resolve(root, values["data-dir"]);
  const leaseMs = values["lease-ms"] === undefined ? undefined : Number(values["lease-ms"]);
  if (leaseMs !== undefined && !(leaseMs >= 100))
    throw new CliError("--lease-ms must be a number of ms, at least 100");
  const hookline = createNodeHookline({ config, secrets, dataDir, leaseMs });
  hookline.start();
  const server = serveHttp({ fetch: hookline.fetch, port, hostname: values.host });
  await new Promise<void>((ok, fail) => {
    server.once("listening", ok);
    server.once("error", (err) =>
      fail(new CliError(`cannot listen on ${values.host}:${port}: ${err.message}`)),
    );
  });
  const address = server.address();
  const url = `http://${values.host}:${typeof address === "object" && address ? address.port : port}`;
  const title = `Hookline is running on Node (single process; state in ${dataDir}).`;
  console.log(await banner({ root, config, url, title, notes }));

  return new Promise<number>((done) => {
    const stop = async () => {
      server.close();
      await hookline.close();
      done(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** `.dev.vars` with the process env over it (as wrangler does), plus the env name. */
export function secretsFor(root: string, envName: string): Secrets {
  const fromEnv = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
  return { ...readDevVars(root), ...fromEnv, HOOKLINE_ENV: envName };
}

/** Checks the local Ollama (GET /api/tags) and says what it found, or what to do. */
async function ollamaNote(secrets: Secrets, model: string): Promise<string> {
  const baseUrl = secrets.OLLAMA_BASE_URL || DEFAULT_OLLAMA_BASE_URL;
  const check = await checkOllama({ baseUrl, model, fetch, timeoutMs: 2_000 });
  const uses = `Offline mode: \`model: default\` steps use ollama:${model} (set OLLAMA_MODEL to change it).`;
  if (!check.ok) return `${uses}\n${check.message}`;
  return `${uses} Ollama at ${baseUrl} has: ${check.models.join(", ")}.`;
}
