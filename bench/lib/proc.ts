/**
 * Reads the workerd child's CPU time from /proc (Linux only), so the bench can wait for background work
 * (Durable Object alarms flushing the outbox) to finish before the next target's window, and report it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** PIDs of this process's direct children named `workerd` (Miniflare starts exactly one). */
export function findWorkerdPids(): number[] {
  const pids: number[] = [];
  const tasks = `/proc/${process.pid}/task`;
  if (!existsSync(tasks)) return pids;
  for (const tid of readdirSync(tasks)) {
    let children = "";
    try {
      children = readFileSync(`${tasks}/${tid}/children`, "utf8");
    } catch {
      continue;
    }
    for (const pid of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
      try {
        if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd") pids.push(pid);
      } catch {
        // exited
      }
    }
  }
  return pids;
}

/** utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux). */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until workerd has been (nearly) idle for one 250 ms sample, at most `maxMs`.
 * Returns how long that took: the backlog of background work the previous window left behind.
 */
export async function settle(pids: number[], maxMs = 15_000): Promise<number> {
  const started = performance.now();
  if (pids.length === 0) {
    await sleep(500);
    return performance.now() - started;
  }
  const total = () => pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
  let last = total();
  while (performance.now() - started < maxMs) {
    await sleep(250);
    const now = total();
    if (now - last <= 2) break; // ≤ 20 ms of CPU in 250 ms: idle
    last = now;
  }
  return performance.now() - started;
}

/** Machine-wide busy and iowait ticks from /proc/stat (all CPUs), or zeros where unavailable. */
export function systemTicks(): { busy: number; iowait: number } {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const [, ...nums] = line.trim().split(/\s+/);
    const v = nums.map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, iowait: v[4] ?? 0 };
  } catch {
    return { busy: 0, iowait: 0 };
  }
}
