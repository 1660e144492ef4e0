/**
 * Hookline and the bare Hono baseline (bench/baselines/bare-hono.ts) in one workerd through Miniflare, for the
 * workerd rows of `npm run bench:history`. Hookline is bundled from a temporary copy of the repo with one overlay
 * (config/bench-history.yaml: a GitHub-signed generic source whose workflow is a transform, two `echo` llm steps
 * and a transform, all inline, so nothing leaves the machine) and gets DATABASE_URL (the bench database) and
 * DATABASE_WS_PROXY (the proxy process): the Neon driver inside workerd, a pool per request, as deployed.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { TEST_BINDINGS } from "../../test/fixtures/secrets.ts";
import { dryRunBuild } from "../lib/build.ts";
import { readWranglerConfig, startRuntime, workerOptions } from "../lib/runtime.ts";
import { prepareCopy } from "../lib/scratch.ts";

export const ENV_NAME = "bench-history";
export const SOURCE = "bench-history";
export const WORKFLOW = "bench-history-flow";
const OVERLAY = {
  sources: {
    [SOURCE]: {
      channel: "generic",
      scheme: "github",
      secretEnv: "GITHUB_WEBHOOK_SECRET",
      workflow: WORKFLOW,
    },
  },
  workflows: {
    [WORKFLOW]: {
      steps: [
        { id: "shape", kind: "transform", set: { title: "input.title" } },
        { id: "classify", kind: "llm", model: "echo", prompt: "classify: {{ input.title }}" },
        { id: "draft", kind: "llm", model: "echo", prompt: "draft: {{ input.body }}" },
        { id: "done", kind: "transform", set: { ok: "true" } },
      ],
    },
  },
};

export interface Workerd {
  urls: { hookline: URL; bare: URL };
  buildMs: number;
  dispose(): Promise<void>;
}

export async function startWorkerd(opts: {
  root: string;
  tmp: string;
  dbUrl: string;
  proxyUrl: string;
  log: (m: string) => void;
}): Promise<Workerd> {
  const root = prepareCopy({
    root: opts.root,
    tmp: opts.tmp,
    envName: ENV_NAME,
    overlay: OVERLAY,
    by: "bench/history/workerd.ts",
    extra: ["bench/baselines/bare-hono.ts", "bench/baselines/bare-hono.wrangler.toml"],
  });
  opts.log("workerd: bundling Hookline and the bare Hono baseline with wrangler deploy --dry-run …");
  const toml = join(root, "wrangler.toml");
  const bareToml = join(root, "bench", "baselines", "bare-hono.wrangler.toml");
  const built = await dryRunBuild(root, toml, join(opts.tmp, "build", "hookline"));
  const bareBuilt = await dryRunBuild(root, bareToml, join(opts.tmp, "build", "bare"));
  const base = workerOptions("hookline", built, await readWranglerConfig(toml), {
    ...TEST_BINDINGS,
    HOOKLINE_ENV: ENV_NAME,
    DATABASE_URL: opts.dbUrl,
    DATABASE_WS_PROXY: opts.proxyUrl,
  });
  // The Neon driver's WebSocket must reach the proxy on 127.0.0.1, so Hookline uses workerd's own network
  // instead of the refusing outbound service; its workflow makes no outbound call of its own.
  const { outboundService: _refuse, ...hookline } = base;
  const bare = workerOptions("bare", bareBuilt, await readWranglerConfig(bareToml), {});
  const persist = join(opts.tmp, "state");
  mkdirSync(persist);
  const runtime = await startRuntime([hookline as typeof base, bare], persist);
  return {
    urls: { hookline: runtime.urls.hookline as URL, bare: runtime.urls.bare as URL },
    buildMs: built.buildMs + bareBuilt.buildMs,
    dispose: () => runtime.mf.dispose(),
  };
}
