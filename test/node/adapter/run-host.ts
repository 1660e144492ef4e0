import { loadFromDisk } from "../../../src/cli/load.ts";
import type { Resources, RunApi } from "../../../src/host/resources.ts";
import { Run } from "../../../src/host/run.ts";
import type { RunTrace } from "../../../src/host/run-trace.ts";
import { NodeNamespace } from "../../../src/node/object-host.ts";

/** A run's trace (`getTrace`), parsed. */
export async function traceOf(stub: RunApi): Promise<RunTrace> {
  return JSON.parse((await stub.getTrace()) as string) as RunTrace;
}

/** A step worker's report of a successful attempt that answered `text`. */
export function succeeded(text: string) {
  const now = Date.now();
  return { ok: true as const, output: { text }, startedAt: now, finishedAt: now };
}

/** A STEPS message as a test sees it. */
export type SentStep = { attemptId: string };

/**
 * RunObjects on the Node host over the files in `dir`, with the test config, and a STEPS queue whose
 * messages nobody consumes: each one sent is appended to `sent` (pass the same array to a second host on
 * the same files, as after a restart). EVENTS go nowhere. The namespace is started; close it in the test.
 *
 * @example
 * const { runs, sent } = openRuns(tempDir(), { inlineSteps: false });
 */
export function openRuns(
  dir: string,
  options: {
    inlineSteps?: boolean;
    closeTimeoutMs?: number;
    sent?: SentStep[];
    /** Model keys and base URLs, e.g. a fake OpenAI's. */
    secrets?: Record<string, string>;
  } = {},
) {
  const config = loadFromDisk(process.cwd(), "test");
  const sent = options.sent ?? [];
  const steps = {
    send: async (body: unknown) => void sent.push(body as SentStep),
    sendBatch: async (ms: Iterable<{ body: unknown }>) => {
      for (const m of ms) sent.push(m.body as SentStep);
    },
  };
  const quiet = { send: async () => {}, sendBatch: async () => {} };
  let res: Resources;
  const runs = new NodeNamespace<Run>({
    kind: "run",
    dir,
    create: (s) => new Run(s, res),
    ...(options.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: options.closeTimeoutMs }),
  });
  const inlineSteps = options.inlineSteps ?? config.defaults.inlineSteps;
  res = {
    config: { ...config, defaults: { ...config.defaults, inlineSteps } },
    secrets: options.secrets ?? {},
    steps,
    events: quiet,
    runs,
    sessions: runs,
    ops: () => runs.getByName("ops"),
    outboundFetch: fetch,
    runtime: "node",
  } as unknown as Resources;
  runs.start();
  return { runs, sent, config };
}
