/**
 * Bundles the workers under test exactly as a deploy would, without deploying:
 * `wrangler deploy --dry-run --outdir <dir>` (which also runs wrangler.toml's [build] command).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface BuiltWorker {
  /** The wrangler config the worker was built from. */
  configPath: string;
  outDir: string;
  /** Entry module inside outDir (wrangler names it after `main`). */
  entry: string;
  /** Every file wrangler emitted next to the entry that the bundle may import (e.g. `.sql` Text modules). */
  extraModules: string[];
  buildMs: number;
}

/** Wrangler offline and quiet; `node` on PATH is the pinned Node 22 from node_modules/.bin. */
export function offlineEnv(root: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    PATH: [join(root, "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter),
  };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}:\n${out}`));
    });
  });
}

/** Runs `wrangler deploy --dry-run` for one config into outDir. */
export async function dryRunBuild(root: string, configPath: string, outDir: string): Promise<BuiltWorker> {
  const started = performance.now();
  const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  await run(
    process.execPath,
    [wrangler, "deploy", "--dry-run", "--outdir", outDir, "--config", configPath],
    root,
    offlineEnv(root),
  );
  const files = readdirSync(outDir);
  const entry = files.find((f) => f.endsWith(".js"));
  if (!entry || !existsSync(join(outDir, entry)))
    throw new Error(`wrangler emitted no .js bundle in ${outDir}`);
  return {
    configPath,
    outDir,
    entry,
    extraModules: files.filter((f) => f !== entry && !f.endsWith(".map") && f !== "README.md"),
    buildMs: performance.now() - started,
  };
}
