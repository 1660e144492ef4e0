/**
 * A bounded, closed-loop load generator: a fixed number of requests in flight over keep-alive connections
 * (undici Pool, one connection per in-flight request), for a fixed time. Requests are pre-built and
 * pre-signed before the window; every response status (and ack body) is checked.
 */
import { Pool } from "undici";
import { cpuTicks, systemTicks } from "./proc.ts";
import type { PreparedRequest, Target } from "./targets.ts";

export interface WindowResult {
  target: string;
  requests: number;
  errors: number;
  /** First few failures, for the report. */
  errorSamples: string[];
  durationMs: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Requests that had to be signed inside the window because the pre-signed batch ran out. */
  signedInWindow: number;
  /** workerd CPU time (user + system) per completed request, in ms; NaN when not measured. */
  workerdCpuMsPerReq: number;
  /** workerd CPU time over the window as a share of one core (1 = one core busy the whole window). */
  workerdCores: number;
  /** Cores kept busy by everything else on the machine (not workerd, not this load generator): noise. */
  otherCores: number;
  /** Cores' worth of time spent waiting on I/O (e.g. fsync of Durable Object SQLite files). */
  iowaitCores: number;
}

/** Next unused request index per target, shared by every source, so no delivery id is ever sent twice. */
const nextIndex = new Map<string, number>();

/** Per-target source of unique, pre-signed requests; the index never repeats within a process. */
export class RequestSource {
  private batch: PreparedRequest[] = [];
  private cursor = 0;
  signedInWindow = 0;
  readonly target: Target;
  constructor(target: Target) {
    this.target = target;
  }

  /** Signs `count` fresh requests now (before the timed window; timestamps stay within tolerance). */
  async prepare(count: number): Promise<void> {
    const now = Date.now();
    const start = this.claim(count);
    const out: PreparedRequest[] = new Array(count);
    const CHUNK = 512;
    for (let k = 0; k < count; k += CHUNK) {
      const part = await Promise.all(
        Array.from({ length: Math.min(CHUNK, count - k) }, (_, j) => this.target.make(start + k + j, now)),
      );
      for (let j = 0; j < part.length; j++) out[k + j] = part[j] as PreparedRequest;
    }
    this.batch = out;
    this.cursor = 0;
    this.signedInWindow = 0;
  }

  take(): PreparedRequest | Promise<PreparedRequest> {
    if (this.cursor < this.batch.length) return this.batch[this.cursor++] as PreparedRequest;
    this.signedInWindow++;
    return this.target.make(this.claim(1), Date.now());
  }

  private claim(count: number): number {
    const start = nextIndex.get(this.target.id) ?? 0;
    nextIndex.set(this.target.id, start + count);
    return start;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

/**
 * Drives `concurrency` loops against `origin` for `durationMs`. Latency is measured per request from send to
 * the last body byte; throughput counts requests that completed inside the window.
 */
export async function runWindow(
  pool: Pool,
  source: RequestSource,
  concurrency: number,
  durationMs: number,
  workerdPids: number[] = [],
): Promise<WindowResult> {
  const ticks = () => workerdPids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
  const ticksBefore = ticks();
  const sysBefore = systemTicks();
  const ownBefore = process.cpuUsage();
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const target = source.target;

  const loop = async () => {
    while (performance.now() < deadline) {
      const req = await source.take();
      const t0 = performance.now();
      try {
        const res = await pool.request({
          method: "POST",
          path: req.path,
          headers: req.headers,
          body: req.body,
        });
        const text = await res.body.text();
        const t1 = performance.now();
        if (!target.ok(res.statusCode, text)) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(`${res.statusCode} ${text.slice(0, 200)}`);
        } else if (t1 <= deadline) {
          latencies.push(t1 - t0);
        }
      } catch (err) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String((err as Error).message ?? err));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const cpuMs = (ticks() - ticksBefore) * 10; // USER_HZ = 100
  const measured = workerdPids.length > 0;
  const elapsed = performance.now() - started;
  const sys = systemTicks();
  const own = process.cpuUsage(ownBefore);
  const ownMs = (own.user + own.system) / 1000;
  const otherMs = (sys.busy - sysBefore.busy) * 10 - cpuMs - ownMs;
  const sorted = Float64Array.from(latencies).sort();
  return {
    target: target.id,
    requests: latencies.length,
    errors,
    errorSamples,
    durationMs,
    rps: latencies.length / (durationMs / 1000),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    signedInWindow: source.signedInWindow,
    workerdCpuMsPerReq: measured && latencies.length ? cpuMs / latencies.length : Number.NaN,
    workerdCores: measured ? cpuMs / elapsed : Number.NaN,
    otherCores: measured ? Math.max(0, otherMs / elapsed) : Number.NaN,
    iowaitCores: ((sys.iowait - sysBefore.iowait) * 10) / elapsed,
  };
}

/** A keep-alive pool with one connection per in-flight request. */
export function keepAlivePool(origin: URL, connections: number): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 60_000,
  });
}
