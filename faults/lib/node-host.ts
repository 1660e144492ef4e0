/**
 * The Node adapter as users run it (`hookline serve --data-dir X`), in a scratch copy of the repo with the
 * scenario's config overlay, in a process group of its own: killed with SIGKILL and started again on the
 * same data directory and port. Secrets come from the environment, never from a file in the repo.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareCopy } from "../../bench/lib/scratch.ts";
import { sleep } from "./scenario.ts";
import { freePort } from "./stack.ts";

export interface NodeHost {
  url: string;
  /** The environment of the next start (change it, then kill and restart). */
  vars: Record<string, string>;
  dataDir: string;
  pgid(): number;
  output(): string;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startNodeHost(o: {
  root: string;
  envName: string;
  overlay: unknown;
  vars: Record<string, string>;
  leaseMs?: number;
}): Promise<NodeHost> {
  const tmp = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "hookline-faults-node-"));
  const copy = prepareCopy({
    root: o.root,
    tmp,
    envName: o.envName,
    overlay: o.overlay,
    by: "npm run faults",
    extra: [],
  });
  const dataDir = join(tmp, "data");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const vars = { ...o.vars };
  let out = "";
  const boot = async () => {
    out += "\n[faults] --- hookline serve starting ---\n";
    const proc = spawn(
      process.execPath,
      [
        "--disable-warning=ExperimentalWarning",
        "src/cli/main.ts",
        "serve",
        "--env",
        o.envName,
        "--port",
        String(port),
        "--data-dir",
        dataDir,
        "--lease-ms",
        String(o.leaseMs ?? 1000),
      ],
      { cwd: copy, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...vars } },
    );
    child = proc;
    proc.stdout?.on("data", (d) => (out += d));
    proc.stderr?.on("data", (d) => (out += d));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null)
        throw new Error(`hookline serve exited ${proc.exitCode}:\n${out.slice(-3000)}`);
      try {
        if ((await fetch(`${url}/health/live`)).ok) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`hookline serve not up after 60 s:\n${out.slice(-3000)}`);
      await sleep(100);
    }
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
  };
  const stop = async () => {
    const proc = child;
    if (proc?.pid && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      try {
        process.kill(-proc.pid, "SIGTERM");
      } catch {
        // gone
      }
      await Promise.race([exited, sleep(5000)]);
      await kill();
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await boot();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    vars,
    dataDir,
    pgid: () => child?.pid as number,
    output: () => out,
    kill,
    restart: boot,
    stop,
  };
}
