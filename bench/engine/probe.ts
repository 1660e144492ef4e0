/**
 * The engine bench's baseline worker: the bare platform costs under Hookline's step hop, measured inside the
 * same workerd (bench/engine.ts runs it beside Hookline). Nothing here is Hookline code; every timestamp is
 * `Date.now()` in the worker or the Durable Object, exactly as Hookline's trace takes its timestamps.
 *
 *   POST /rpc?n=200        n sequential Durable Object RPC round trips, from the worker (ms each)
 *   POST /ping             one DO RPC; the bench times the whole HTTP request from Node
 *   POST /queue-hop?n=50   n sequential queue hops: DO sends → consumer receives (ms each)
 *   POST /chain?n=50       Hookline's hop skeleton, n times: consumer → DO RPC "started" → consumer → DO RPC
 *                          "finished" that sends the next message → queue → consumer (no storage, no engine)
 *   POST /fanout?n=100     one sendBatch of n messages; ms until the DO has counted all n consumed
 *   POST /start-run        times one RunObject.start() RPC on Hookline's RUNS namespace (cross-script binding
 *                          added by bench/engine.ts), for the inline transform chain
 */
import { DurableObject } from "cloudflare:workers";

type ProbeMessage =
  | { t: "hop"; key: string; i: number; sentAt: number }
  | { t: "chain"; key: string; i: number; n: number }
  | { t: "fan"; key: string };

interface RunStartStub {
  /** The Session → Run protocol (src/host/run.ts); `{ type: "start", … }` starts a run. */
  fromSession(message: unknown): Promise<{ runId: string; status: string; created: boolean }>;
}

interface Env {
  PROBE: DurableObjectNamespace<ProbeObject>;
  PROBE_Q: Queue<ProbeMessage>;
  /** Hookline's RunObject namespace (scriptName "hookline"), bound by bench/engine.ts. */
  RUNS?: { getByName(name: string): RunStartStub };
}

export class ProbeObject extends DurableObject<Env> {
  private readonly waiters = new Map<number, (v: number) => void>();
  private readonly arrived = new Map<number, number>();
  private started: number[] = [];
  private finished: number[] = [];
  private chainDone: (() => void) | undefined;
  private fanCount = 0;
  private fanTarget = 0;
  private fanDone: ((at: number) => void) | undefined;

  ping(): number {
    return Date.now();
  }

  /** Sequential send → consume hops from this object. */
  async runHops(key: string, n: number): Promise<number[]> {
    const hops: number[] = [];
    for (let i = 0; i < n; i++) {
      const got = new Promise<number>((resolve) => this.waiters.set(i, resolve));
      await this.env.PROBE_Q.send({ t: "hop", key, i, sentAt: Date.now() });
      hops.push(this.arrived.get(i) ?? (await got));
    }
    return hops;
  }

  hopArrived(i: number, hopMs: number): void {
    this.arrived.set(i, hopMs);
    this.waiters.get(i)?.(hopMs);
  }

  /** The hop skeleton, n times; resolves with each hop (next started − previous finished) and the total. */
  async runChain(key: string, n: number): Promise<{ hops: number[]; totalMs: number }> {
    this.started = [];
    this.finished = [];
    const done = new Promise<void>((resolve) => {
      this.chainDone = resolve;
    });
    const t0 = Date.now();
    await this.env.PROBE_Q.send({ t: "chain", key, i: 0, n });
    await done;
    const totalMs = Date.now() - t0;
    const hops: number[] = [];
    for (let i = 1; i < n; i++) hops.push((this.started[i] ?? 0) - (this.finished[i - 1] ?? 0));
    return { hops, totalMs };
  }

  chainStarted(i: number): void {
    this.started[i] = Date.now();
  }

  async chainFinished(i: number, n: number, finishedAt: number, key: string): Promise<void> {
    this.finished[i] = finishedAt;
    if (i + 1 < n) await this.env.PROBE_Q.send({ t: "chain", key, i: i + 1, n });
    else this.chainDone?.();
  }

  /** One sendBatch of n messages (≤ 100, as Queue.sendBatch allows); ms until all n were consumed. */
  async runFan(key: string, n: number): Promise<number> {
    this.fanCount = 0;
    this.fanTarget = n;
    const done = new Promise<number>((resolve) => {
      this.fanDone = resolve;
    });
    const t0 = Date.now();
    await this.env.PROBE_Q.sendBatch(Array.from({ length: n }, () => ({ body: { t: "fan" as const, key } })));
    const at = await done;
    return at - t0;
  }

  fanArrived(): void {
    this.fanCount++;
    if (this.fanCount === this.fanTarget) this.fanDone?.(Date.now());
  }
}

const json = (v: unknown, status = 200) =>
  new Response(JSON.stringify(v), { status, headers: { "content-type": "application/json" } });

async function handle(msg: ProbeMessage, env: Env): Promise<void> {
  const stub = env.PROBE.getByName(msg.key);
  switch (msg.t) {
    case "hop": {
      const hopMs = Date.now() - msg.sentAt;
      await stub.hopArrived(msg.i, hopMs);
      return;
    }
    case "chain": {
      await stub.chainStarted(msg.i);
      await stub.chainFinished(msg.i, msg.n, Date.now(), msg.key);
      return;
    }
    case "fan":
      await stub.fanArrived();
      return;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Math.max(1, Math.min(1000, Number(url.searchParams.get("n") ?? 1)));
    const key = `${url.pathname}:${crypto.randomUUID()}`;
    switch (url.pathname) {
      case "/ping":
        return json({ at: await env.PROBE.getByName("ping").ping() });
      case "/rpc": {
        const stub = env.PROBE.getByName("rpc");
        await stub.ping(); // create the object before timing
        const samples: number[] = [];
        const t0 = Date.now();
        for (let i = 0; i < n; i++) {
          const t = Date.now();
          await stub.ping();
          samples.push(Date.now() - t);
        }
        return json({ samples, totalMs: Date.now() - t0 });
      }
      case "/queue-hop":
        return json({ samples: await env.PROBE.getByName(key).runHops(key, n) });
      case "/chain":
        return json(await env.PROBE.getByName(key).runChain(key, n));
      case "/fanout":
        return json({ ms: await env.PROBE.getByName(key).runFan(key, Math.min(n, 100)) });
      case "/start-run": {
        if (!env.RUNS) return json({ error: "RUNS is not bound" }, 500);
        const args = (await request.json()) as { runId: string };
        const stub = env.RUNS.getByName(args.runId);
        const t0 = Date.now();
        const result = await stub.fromSession({ type: "start", ...args });
        return json({ ms: Date.now() - t0, ...result });
      }
      default:
        return json({ error: "not found" }, 404);
    }
  },
  async queue(batch, env) {
    await Promise.all(
      batch.messages.map(async (msg) => {
        await handle(msg.body, env);
        msg.ack();
      }),
    );
  },
} satisfies ExportedHandler<Env, ProbeMessage>;
