import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { banner } from "./banner.ts";
import { ensureDevVars, readDevVars } from "./dev-vars.ts";
import { bundleConfig, CliError, loadFromDisk } from "./load.ts";
import { isLocalDatabaseUrl, type PgWsProxy, startPgWsProxy } from "./pg-ws-proxy.ts";

/** Environment that keeps wrangler offline and quiet: no metrics, no request.cf lookup. */
export const OFFLINE_ENV = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } as const;

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);

async function waitForHealth(
  url: string,
  child: { exitCode: number | null },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new CliError(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health/live`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new CliError(`wrangler dev did not answer ${url}/health/live within ${timeoutMs / 1000}s`);
}

/**
 * A local DATABASE_URL (127.0.0.1, localhost, ::1; from the env or `.dev.vars`) is plain Postgres, which the
 * Neon driver in the worker cannot reach by itself: start the WebSocket proxy here and hand its address to
 * the worker as DATABASE_WS_PROXY. A Neon URL, or a DATABASE_WS_PROXY already set, gets nothing.
 */
async function localDatabaseProxy(root: string): Promise<{ vars: string[]; proxy?: PgWsProxy }> {
  const fromFile = readDevVars(root);
  const url = process.env.DATABASE_URL || fromFile.DATABASE_URL;
  if (!url || !isLocalDatabaseUrl(url) || process.env.DATABASE_WS_PROXY || fromFile.DATABASE_WS_PROXY) {
    return { vars: [] };
  }
  const proxy = await startPgWsProxy();
  const vars = ["--var", `DATABASE_WS_PROXY:${proxy.url}`];
  // wrangler dev reads .dev.vars, not the process env: pass a URL that only the env has (local, no secret).
  if (process.env.DATABASE_URL && !fromFile.DATABASE_URL) vars.push("--var", `DATABASE_URL:${url}`);
  const where = new URL(url);
  console.log(
    `hookline: DATABASE_URL is local (${where.host}); the worker reaches it through a WebSocket proxy at ${proxy.url} (DATABASE_WS_PROXY)`,
  );
  return { vars, proxy };
}

/** `npm start`: dev secrets, config bundle, `wrangler dev` on 127.0.0.1, then the endpoints and a signed curl. */
export async function start(root: string, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: "string", default: process.env.PORT ?? "8787" } },
  });
  if (major < 22 || (major === 22 && minor < 12)) {
    throw new CliError(
      `Node ${process.versions.node} is too old for wrangler; run through npm (npm start) to use the pinned Node 22`,
    );
  }
  const envName = "development";
  const config = loadFromDisk(root, envName);
  const created = ensureDevVars(root, config);
  if (created.length > 0) {
    console.log(
      `hookline: created dev secrets in ${join(root, ".dev.vars")} (git-ignored): ${created.join(", ")}`,
    );
  }
  bundleConfig(root);
  const database = await localDatabaseProxy(root);
  const url = `http://127.0.0.1:${values.port}`;
  const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  const child = spawn(
    process.execPath,
    [
      wrangler,
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      values.port,
      "--show-interactive-dev-session=false",
      "--var",
      `HOOKLINE_ENV:${envName}`,
      ...database.vars,
    ],
    {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, ...OFFLINE_ENV, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` },
    },
  );
  const stop = () => child.kill("SIGTERM");
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
  try {
    await waitForHealth(url, child, 120_000);
    console.log(
      await banner({ root, config, url, title: "Hookline is running (wrangler dev, local only)." }),
    );
    return await exited;
  } finally {
    await database.proxy?.close();
  }
}
