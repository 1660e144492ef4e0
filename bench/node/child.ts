/**
 * Starts one bench/node/server.ts in its own Node process (the same pinned Node as the bench) and stops it by
 * its PID. The server prints `READY <port>`; its stderr is passed through with a prefix.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface ChildSpec {
  kind: "bare" | "grammy" | "sqlite" | "hookline" | "probe";
  /** SQLite files of `sqlite`, `hookline` and `probe`. */
  dataDir?: string;
  /** Hookline: HOOKLINE_ENV; config/<envName>.yaml is read unless `overlay` is given. */
  envName?: string;
  /** Hookline: a config layer merged over hookline.yaml instead of config/<envName>.yaml. */
  overlay?: unknown;
  /**
   * Hookline: STEPS batches handled at once, instead of the adapter's default (10). A bench deviation, so that
   * 20 streaming steps can run at once (see bench/node/stop.ts); unset = as shipped.
   */
  stepsConcurrency?: number;
  /** Hookline: extra secrets over the test ones (fake upstream URLs). */
  secrets?: Record<string, string>;
}

export interface Child {
  name: string;
  pid: number;
  url: URL;
  stop(): Promise<void>;
  /** The child's event-loop delay (ms) since the previous call; the call resets it. */
  loop(): Promise<LoopDelay>;
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export async function startChild(
  name: string,
  spec: ChildSpec,
  timeoutMs = 30_000,
  /** Extra Node flags for the child (e.g. `--cpu-prof`, bench/profile-node-ack.ts). */
  nodeArgs: string[] = [],
): Promise<Child> {
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      "--disable-warning=ExperimentalWarning",
      // BENCH_NODE_ARGS: flags for every server child, for diagnosis (e.g. "--trace-gc").
      ...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
      ...nodeArgs,
      join(import.meta.dirname, "server.ts"),
    ],
    {
      env: { ...process.env, BENCH_NODE_CHILD: JSON.stringify(spec) },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on("line", (line) =>
    console.error(`[${name}] ${line}`),
  );
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start in ${timeoutMs} ms`)), timeoutMs);
    proc.once("exit", (code) => fail(new Error(`${name} exited with ${code} before it listened`)));
    lines.on("line", (line) => {
      const m = /^READY (\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      } else console.log(`[${name}] ${line}`);
    });
  });
  const exited = new Promise<void>((ok) => proc.once("exit", () => ok()));
  return {
    name,
    pid: proc.pid as number,
    url: new URL(`http://127.0.0.1:${port}`),
    async loop() {
      const res = await fetch(`http://127.0.0.1:${port}/__bench/loop`);
      return (await res.json()) as LoopDelay;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      process.kill(proc.pid as number, "SIGTERM");
      const timer = setTimeout(() => {
        if (proc.exitCode === null) process.kill(proc.pid as number, "SIGKILL");
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
