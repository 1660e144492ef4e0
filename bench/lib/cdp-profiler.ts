/**
 * A CPU profile of a workerd isolate over the DevTools protocol (Miniflare's `inspectorPort`), for diagnosis:
 * `const p = await CdpProfiler.connect(port, "hookline"); await p.start(); …; const profile = await p.stop();`.
 * bench/chat.ts uses it when `BENCH_WORKERD_CPUPROF` names a file (the /stop bursts only).
 */
export interface CpuProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}
export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export class CdpProfiler {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();
  private readonly ws: WebSocket;
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener("message", (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id !== undefined) this.waiting.get(msg.id)?.(msg.error ? { error: msg.error } : msg.result);
    });
  }

  static async connect(port: number, name: string): Promise<CdpProfiler> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      title?: string;
      id?: string;
      webSocketDebuggerUrl?: string;
    }[];
    const target =
      targets.find((t) => t.title === name || t.id === name) ?? targets.find((t) => t.title?.includes(name));
    if (!target)
      throw new Error(`no inspector target "${name}" (have ${targets.map((t) => t.title).join(", ")})`);
    const url = target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${port}/${target.id}`;
    const ws = new WebSocket(url);
    await new Promise<void>((ok, fail) => {
      ws.addEventListener("open", () => ok(), { once: true });
      ws.addEventListener("error", () => fail(new Error(`inspector ${url} did not open`)), { once: true });
    });
    const p = new CdpProfiler(ws);
    await p.send("Profiler.enable");
    await p.send("Profiler.setSamplingInterval", { interval: 100 });
    return p;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((ok) => {
      this.waiting.set(id, ok);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async start(): Promise<void> {
    await this.send("Profiler.start");
  }

  async stop(): Promise<CpuProfile> {
    const r = (await this.send("Profiler.stop")) as { profile: CpuProfile };
    return r.profile;
  }

  close(): void {
    this.ws.close();
  }
}

/** Self time by function and by file, as text lines (the heaviest first). */
export function summarizeProfiles(profiles: CpuProfile[], root: string, top = 40): string[] {
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const profile of profiles) {
    for (const node of profile.nodes) {
      if (!node.hitCount) continue;
      total += node.hitCount;
      const url = node.callFrame.url.replace(/^file:\/\//, "").replace(root, "");
      const fn = `${node.callFrame.functionName || "(anonymous)"} ${url || "(native)"}:${node.callFrame.lineNumber + 1}`;
      byFn.set(fn, (byFn.get(fn) ?? 0) + node.hitCount);
      const file = url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, "node_modules/$1") || "(native)";
      byFile.set(file, (byFile.get(file) ?? 0) + node.hitCount);
    }
  }
  const pct = (v: number) => `${((100 * v) / total).toFixed(1)}%`.padStart(6);
  return [
    `self time by function (${total} samples):`,
    ...[...byFn]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${pct(v)} ${k}`),
    "self time by file / package:",
    ...[...byFile]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${pct(v)} ${k}`),
  ];
}
