/**
 * Hookline as users run it locally: `wrangler dev` (workerd, local queues and Durable Objects) in a scratch
 * copy of the repo with a config overlay and a `.dev.vars` of its own, so nothing is written to the repo.
 * The process group it runs in is started here and stopped here, by its id.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { prepareCopy } from "../../bench/lib/scratch.ts";
import { OFFLINE_ENV } from "../../src/cli/start.ts";

export interface Stack {
  url: string;
  pid: number;
  /** Everything wrangler and workerd printed so far (stdout and stderr interleaved). */
  output(): string;
  /** The lines printed so far, each with when it arrived (`performance.now()` of this process). */
  lines(): { at: number; text: string }[];
  stop(): Promise<void>;
  /** SIGKILL to the whole process group (wrangler and workerd) at once; the scratch copy stays. */
  kill(): Promise<void>;
  /** Starts wrangler dev again in the same copy, on the same port (and persist directory), and waits for /health. */
  restart(): Promise<void>;
  /** The process group id of the running wrangler (changes on restart). */
  pgid(): number;
}

export interface StackOptions {
  root: string;
  /** HOOKLINE_ENV, and the name of the overlay written to config/<envName>.yaml in the copy. */
  envName: string;
  overlay: unknown;
  /** Written to the copy's `.dev.vars` (secrets and local URLs). */
  vars: Record<string, string>;
  bootTimeoutMs?: number;
  /** `--persist-to`: keep Durable Objects (and whatever else Miniflare persists) here across restarts. */
  persistTo?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `wrangler dev` on 127.0.0.1 in a scratch copy and waits for /health. */
export async function startStack(o: StackOptions): Promise<Stack> {
  const tmp = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "hookline-faults-"));
  let child: ChildProcess | undefined;
  let boot: () => Promise<void> = async () => {};
  let out = "";
  const lines: { at: number; text: string }[] = [];
  /** One reader per stream, so a line split across chunks is joined with its own stream's rest. */
  const reader = () => {
    let partial = "";
    return (d: Buffer) => {
      const text = d.toString();
      out += text;
      const at = performance.now();
      const parts = (partial + text).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) lines.push({ at, text: line });
    };
  };
  const stop = async () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // gone
      }
      await Promise.race([exited, sleep(3000)]);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  const kill = async () => {
    const proc = child;
    if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // gone
    }
    await Promise.race([exited, sleep(5000)]);
    // workerd is in the same group and was killed with it; give the kernel a moment to free the port.
    await sleep(100);
  };
  try {
    const copy = prepareCopy({
      root: o.root,
      tmp,
      envName: o.envName,
      overlay: o.overlay,
      by: "npm run faults",
      extra: [],
    });
    writeFileSync(
      join(copy, ".dev.vars"),
      Object.entries(o.vars)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(""),
    );
    const port = await freePort();
    const inspector = await freePort();
    const wrangler = join(copy, "node_modules", "wrangler", "bin", "wrangler.js");
    const url = `http://127.0.0.1:${port}`;
    boot = async () => {
      out += `\n[faults] --- wrangler dev starting ---\n`;
      const proc = spawn(
        process.execPath,
        [
          wrangler,
          "dev",
          "--ip",
          "127.0.0.1",
          "--port",
          String(port),
          "--inspector-port",
          String(inspector),
          "--show-interactive-dev-session=false",
          "--var",
          `HOOKLINE_ENV:${o.envName}`,
          ...(o.persistTo ? ["--persist-to", o.persistTo] : []),
        ],
        {
          cwd: copy,
          detached: true, // its own process group: stopped with it, and only it, at the end
          stdio: ["ignore", "pipe", "pipe"],
          env: {
            ...process.env,
            ...OFFLINE_ENV,
            NO_COLOR: "1",
            // A registry of its own: another wrangler dev starting or stopping on this machine would otherwise
            // make this one rebuild its options and restart workerd mid-scenario ("Connection status updated").
            WRANGLER_REGISTRY_PATH: join(tmp, "registry"),
            FORCE_COLOR: "0",
            PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
          },
        },
      );
      child = proc;
      proc.stdout?.on("data", reader());
      proc.stderr?.on("data", reader());
      const deadline = Date.now() + (o.bootTimeoutMs ?? 120_000);
      for (;;) {
        if (proc.exitCode !== null)
          throw new Error(`wrangler dev exited ${proc.exitCode}:\n${out.slice(-3000)}`);
        try {
          const res = await fetch(`${url}/health/live`);
          if (res.ok) break;
        } catch {
          // not up yet
        }
        if (Date.now() > deadline)
          throw new Error(`wrangler dev not up after ${o.bootTimeoutMs ?? 120_000} ms:\n${out.slice(-3000)}`);
        await sleep(250);
      }
    };
    await boot();
    return {
      url,
      get pid() {
        return child?.pid as number;
      },
      pgid: () => child?.pid as number,
      output: () => out,
      lines: () => lines,
      stop,
      kill,
      restart: () => boot(),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
