/**
 * `npm run bench:node`, part 3: /stop → the upstream stream aborted, on Node. Each round CHATS new Telegram chats
 * send `/stream chat-<id>` at once (a trigger rule → one `llm` step on the fake OpenAI's `slow-200`, streamed into
 * the chat); once every chat's completion is open at the fake OpenAI and its first message reached the fake Bot
 * API, `/stop` goes to all of them at once. Per chat: /stop POST sent → the fake OpenAI sees that completion's
 * connection close (`closedAt`, which must be `clientClosedEarly`). Both fakes run in the bench process, so both
 * ends are the same `Date.now()`. Also /stop one chat at a time, and (reported) the same 20 at once with the step
 * forced through the STEPS queue (`/streamq`: a timeout above `defaults.inlineMaxTimeout`); as shipped the step runs
 * inline in the RunObject. Each sample's attempt mode is checked against the variant. Baseline, same run: the probe
 * server holds the same streams with a plain fetch and aborts them on `POST /abort/:id` (bench/node/probe.ts).
 */

import type { FakeTelegram } from "../../test/servers/fake-telegram.ts";
import type { FakeServer, RecordedRequest } from "../../test/servers/recorder.ts";
import type { Client, Posted } from "./client.ts";
import { FINISHED, ms, sleep } from "./client.ts";

const stream = (extra: Record<string, unknown>) => ({
  steps: [
    {
      id: "answer",
      kind: "llm",
      model: "openai:slow-200",
      stream: true,
      prompt: "{{ event.text }}",
      ...extra,
    },
  ],
});
/** `/stream` as shipped (the attempt runs inline); `/streamq` through the STEPS queue (timeout above 2 min). */
export const STREAM_WORKFLOWS = {
  "bench-stream": stream({}),
  "bench-stream-queued": stream({ timeout: "3m" }),
};
export const STREAM_TRIGGERS = [
  { id: "bench-stream", match: { source: "demo-bot", command: "/stream" }, workflow: "bench-stream" },
  {
    id: "bench-stream-queued",
    match: { source: "demo-bot", command: "/streamq" },
    workflow: "bench-stream-queued",
  },
];
const PATH = "/webhooks/telegram/demo-bot";
/**
 * /stop goes out once every completion has been open this long. Sooner, a /stop can wait for the session
 * to finish starting that chat's run (about 40 ms when the step runs inline), which is not what is measured here.
 */
export const STREAMED_MS = 250;
const STOPPED = /^Stopped after (\d+) ms\.$/;

export interface StopSample {
  mode: "at once" | "single" | "queued, at once";
  /** /stop POST sent → the fake OpenAI saw the completion's connection close. */
  closedMs: number;
  /** /stop POST → its webhook answer (client). */
  ackMs: number;
  /** /stop POST → "Stopped after N ms." at the fake Bot API (Hookline only). */
  confirmMs: number;
  /** How long the completion had streamed when /stop was sent. */
  streamedMs: number;
  /** From the run trace (Hookline only), /stop POST → the webhook handler's receivedAt (cancel.requestedAt). */
  handlerMs: number;
  /** /stop POST → the cancel committed in the run (cancel.acknowledgedAt). */
  committedMs: number;
  /** /stop POST → the step attempt's finishedAt (the step worker saw the abort). */
  abortMs: number;
}

/** The fake OpenAI's request whose last user message carries `marker`. */
function completionOf(openai: FakeServer, marker: string): RecordedRequest | undefined {
  return openai.requests.find((r) => {
    const messages = (r.body as { messages?: { role: string; content: unknown }[] })?.messages ?? [];
    return JSON.stringify(messages.at(-1)?.content ?? "").includes(marker);
  });
}

let nextChat = 860_000_000;

/** One round on Hookline: `chats` chats stream, then /stop to all at once. */
export async function hooklineRound(
  hl: Client,
  openai: FakeServer,
  telegram: FakeTelegram,
  chats: number,
  mode: StopSample["mode"],
  cpu?: { ms: () => number; into: BurstCpu[] },
): Promise<StopSample[]> {
  const ids = Array.from({ length: chats }, () => nextChat++);
  const command = mode === "queued, at once" ? "/streamq" : "/stream";
  const starts = await Promise.all(ids.map((c) => hl.telegram(PATH, c, `${command} chat-${c}`)));
  const runIds = starts.map((s, i) => {
    const runId = s.status === 202 ? (JSON.parse(s.body) as { runId?: string }).runId : undefined;
    if (!runId) throw new Error(`/stream to chat ${ids[i]} answered ${s.status} ${s.body.slice(0, 200)}`);
    return runId;
  });
  const firstSend = (c: number) =>
    telegram.calls.find((x) => x.method === "sendMessage" && String(x.body.chat_id) === String(c));
  const open = await Promise.all(
    ids.map((c) =>
      hl.until(
        () => {
          const r = completionOf(openai, `chat-${c}`);
          return r && firstSend(c) ? r : undefined;
        },
        20_000,
        `chat ${c}'s completion open and its first message sent (${openai.requests.filter((r) => r.closedAt === undefined).length} completions open)`,
      ),
    ),
  );
  // Every stream well under way (its run started, its first tokens out), as a person would stop it.
  await sleep(Math.max(0, STREAMED_MS - (Date.now() - Math.max(...open.map((r) => r.receivedAt)))));
  const early = open.filter((r) => r.closedAt !== undefined).length;
  if (early) throw new Error(`${early} completion(s) ended before /stop`);
  const cpu0 = cpu?.ms() ?? 0;
  const wall0 = Date.now();
  const stops = await Promise.all(ids.map((c) => hl.telegram(PATH, c, "/stop")));
  for (const [i, s] of stops.entries())
    if (s.status !== 200) throw new Error(`/stop to chat ${ids[i]} answered ${s.status} ${s.body}`);
  const closed = await Promise.all(
    open.map((r, i) => hl.until(() => r.closedAt, 10_000, `chat ${ids[i]}'s completion to close`)),
  );
  const confirms = await Promise.all(
    ids.map((c) =>
      hl.until(
        () =>
          telegram.calls.find(
            (x) =>
              x.method === "sendMessage" &&
              String(x.body.chat_id) === String(c) &&
              STOPPED.test(String(x.body.text)),
          ),
        10_000,
        `the /stop confirmation in chat ${c}`,
      ),
    ),
  );
  cpu?.into.push({ chats, cpuMs: cpu.ms() - cpu0, wallMs: Date.now() - wall0 });
  const traces = await Promise.all(
    runIds.map((id) =>
      hl.waitFor(id, (t) => FINISHED.includes(t.status) && t.steps[0]?.finishedAt != null, 20, 10_000),
    ),
  );
  return ids.map((_, i) => {
    const stop = stops[i] as Posted;
    const r = open[i] as RecordedRequest;
    if (!r.clientClosedEarly) throw new Error(`chat ${ids[i]}: the completion ran to its end`);
    const t = traces[i];
    if (t?.status !== "cancelled" || t.cancel?.source !== "telegram:/stop")
      throw new Error(`run ${runIds[i]} ended ${t?.status} (cancel by ${t?.cancel?.source}), not by /stop`);
    const expected = mode === "queued, at once" ? "queue" : "inline";
    if (t.steps[0]?.mode !== expected)
      throw new Error(`run ${runIds[i]}: the stream ran in mode ${t.steps[0]?.mode}, not ${expected}`);
    return {
      mode,
      closedMs: (closed[i] as number) - stop.sentAt,
      ackMs: stop.ackMs,
      confirmMs: (confirms[i]?.receivedAt ?? Number.NaN) - stop.sentAt,
      streamedMs: stop.sentAt - r.receivedAt,
      handlerMs: ms(traces[i]?.cancel?.requestedAt) - stop.sentAt,
      committedMs: ms(traces[i]?.cancel?.acknowledgedAt) - stop.sentAt,
      abortMs: ms(traces[i]?.steps[0]?.finishedAt) - stop.sentAt,
    };
  });
}

let nextBaseline = 1;

/** The same round on the probe: `n` plain fetch streams to the fake OpenAI, then POST /abort to all at once. */
export async function baselineRound(
  probe: Client,
  openai: FakeServer,
  n: number,
  mode: StopSample["mode"],
): Promise<StopSample[]> {
  const ids = Array.from({ length: n }, () => `b${nextBaseline++}`);
  const started = await Promise.all(ids.map((id) => probe.post(`/stream/${id}`, {}, "")));
  for (const s of started)
    if (s.status !== 200) throw new Error(`probe /stream answered ${s.status} ${s.body}`);
  const open = await Promise.all(
    ids.map((id) =>
      probe.until(() => completionOf(openai, `baseline ${id}`), 10_000, `baseline stream ${id}`),
    ),
  );
  await sleep(20); // a token or so in flight, as on the Hookline side
  const aborts = await Promise.all(ids.map((id) => probe.post(`/abort/${id}`, {}, "")));
  const closed = await Promise.all(
    open.map((r, i) => probe.until(() => r.closedAt, 10_000, `baseline stream ${ids[i]} to close`)),
  );
  return ids.map((_, i) => {
    const a = aborts[i] as Posted;
    if (!open[i]?.clientClosedEarly) throw new Error(`baseline stream ${ids[i]} ran to its end`);
    return {
      mode,
      closedMs: (closed[i] as number) - a.sentAt,
      ackMs: a.ackMs,
      confirmMs: Number.NaN,
      streamedMs: a.sentAt - (open[i] as RecordedRequest).receivedAt,
      handlerMs: Number.NaN,
      committedMs: Number.NaN,
      abortMs: Number.NaN,
    };
  });
}

/** The Hookline process's CPU (user + system, /proc, 10 ms ticks) from the /stop POSTs to the last confirmation. */
export interface BurstCpu {
  chats: number;
  cpuMs: number;
  wallMs: number;
}

export interface StopResult {
  hookline: StopSample[];
  baseline: StopSample[];
  bursts: BurstCpu[];
}

/** Warm-up, then `rounds` of `chats` at once and `singles` one at a time, interleaved with the baseline. */
export async function measureStops(
  hl: Client,
  probe: Client,
  openai: FakeServer,
  telegram: FakeTelegram,
  opts: { chats: number; rounds: number; singles: number; queuedRounds: number },
  cpuMs: () => number,
  log: (msg: string) => void,
): Promise<StopResult> {
  const out: StopResult = { hookline: [], baseline: [], bursts: [] };
  const cpu = { ms: cpuMs, into: out.bursts };
  await hooklineRound(hl, openai, telegram, opts.chats, "at once");
  await baselineRound(probe, openai, opts.chats, "at once");
  for (let r = 0; r < opts.rounds; r++) {
    const h = await hooklineRound(hl, openai, telegram, opts.chats, "at once", cpu);
    const b = await baselineRound(probe, openai, opts.chats, "at once");
    out.hookline.push(...h);
    out.baseline.push(...b);
    const worst = (s: StopSample[]) => Math.max(...s.map((x) => x.closedMs));
    log(
      `  round ${r + 1}/${opts.rounds}: ${opts.chats} at once, slowest close ${worst(h)} ms (baseline ${worst(b)} ms)`,
    );
    await sleep(200);
  }
  for (let i = 0; i < opts.singles; i++) {
    out.hookline.push(...(await hooklineRound(hl, openai, telegram, 1, "single")));
    out.baseline.push(...(await baselineRound(probe, openai, 1, "single")));
  }
  log(`  ${opts.singles} single /stop(s) done`);
  if (opts.queuedRounds > 0) await hooklineRound(hl, openai, telegram, opts.chats, "queued, at once"); // warm-up
  for (let r = 0; r < opts.queuedRounds; r++) {
    const h = await hooklineRound(hl, openai, telegram, opts.chats, "queued, at once");
    out.hookline.push(...h);
    log(
      `  queued round ${r + 1}/${opts.queuedRounds}: slowest close ${Math.max(...h.map((x) => x.closedMs))} ms`,
    );
    await sleep(200);
  }
  return out;
}
