import { afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { loadFromDisk } from "../../../src/cli/load.ts";
import type { HooklineConfig } from "../../../src/config/schema.ts";
import type { EventBatch } from "../../../src/engine/messages.ts";
import { Ops } from "../../../src/host/ops.ts";
import type { QueueBatch, QueuePort } from "../../../src/host/ports.ts";
import type { RunToSession } from "../../../src/host/protocol.ts";
import type { Resources, RunApi, SessionApi } from "../../../src/host/resources.ts";
import { Run } from "../../../src/host/run.ts";
import { DELIVERY_RETRY_WINDOW_MS, DELIVERY_WATCHDOG_MS } from "../../../src/host/run-outbox.ts";
import { NodeNamespace } from "../../../src/node/object-host.ts";
import { handleEventBatch } from "../../../src/queue/events.ts";
import { TEST_BINDINGS } from "../../fixtures/secrets.ts";
import { tempDir } from "../adapter/tmp.ts";

// A reply or session message that keeps failing retriably is retried for DELIVERY_RETRY_WINDOW_MS (24 h),
// then dropped and recorded as `run.<kind>_failed`. The clock is the only thing faked here (Date, which runs
// on in real time, not timers): the test jumps it ahead a day, and the Node object host's real alarm timers
// fire once the clock is past their time.

const telegram = inject("fakeTelegramUrl");
const T0 = Date.parse("2026-03-02T08:00:00.000Z");
const HOUR = 3_600_000;

let config: HooklineConfig;
beforeAll(() => {
  config = loadFromDisk(process.cwd(), "test");
}, 90_000);

type Recorded = { body: unknown };
let namespaces: NodeNamespace<object>[] = [];
let warned: string[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: T0, shouldAdvanceTime: true });
  warned = [];
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    warned.push(args.map(String).join(" "));
  });
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await Promise.all(namespaces.map((ns) => ns.close()));
  namespaces = [];
});

function queue(into: Recorded[]): QueuePort {
  return {
    send: async (body) => void into.push({ body }),
    sendBatch: async (ms) => {
      for (const m of ms) into.push({ body: m.body });
    },
  };
}

/**
 * Real RunObjects on the Node object host; the session side is a stand-in whose reachability tests set.
 * `dir` reopens the files of an earlier setup (a restart); `hang` makes every call to the session hang.
 */
function setup(o: { dir?: string; hang?: boolean } = {}) {
  const dir = o.dir ?? tempDir();
  const events: Recorded[] = [];
  const session = { down: true, received: [] as RunToSession[], tries: 0 };
  const sessions = {
    getByName: () =>
      ({
        fromRun: async (message: RunToSession) => {
          session.tries++;
          if (o.hang) return new Promise(() => {});
          if (session.down) throw new Error("session object unreachable (overloaded)");
          session.received.push(message);
        },
      }) as unknown as SessionApi,
  };
  let res: Resources;
  const runs = new NodeNamespace<Run>({
    kind: "run",
    dir,
    create: (s) => new Run(s, res),
    closeTimeoutMs: 100,
  });
  const ops = new NodeNamespace<Ops>({ kind: "ops", dir, create: (s) => new Ops(s) });
  namespaces.push(runs as NodeNamespace<object>, ops as NodeNamespace<object>);
  res = {
    config,
    secrets: {
      TELEGRAM_DEMO_BOT_TOKEN: TEST_BINDINGS.TELEGRAM_DEMO_BOT_TOKEN,
      TELEGRAM_API_ROOT: telegram,
    },
    steps: queue([]),
    events: queue(events),
    runs,
    sessions,
    ops: () => ops.getByName("ops"),
    outboundFetch: fetch,
    runtime: "node",
  } as unknown as Resources;
  runs.start();
  ops.start();

  /** Starts a chat run of `workflowId` in chat `chatId`. */
  const start = async (runId: string, chatId: number, workflow: unknown, input: unknown) => {
    const stub = runs.getByName(runId) as unknown as RunApi;
    await stub.fromSession({
      type: "start",
      runId,
      workflowId: "give-up-probe",
      workflow: workflow as never,
      input: input as never,
      origin: {
        source: "demo-bot",
        deliveryKey: `demo-bot:${runId}`,
        sessionKey: `tg:demo-bot:chat:${chatId}`,
        channel: "telegram",
        chatId: String(chatId),
        senderId: String(chatId),
      },
    });
    return stub;
  };
  /** Events of one type sent to EVENTS, in order. */
  const sent = (type: string) =>
    events.flatMap((m) => (m.body as EventBatch).events).filter((e) => e.type === type);
  /** Hands everything sent to EVENTS to the real consumer (no Postgres: the run index and live feed). */
  const consume = async () => {
    const batch: QueueBatch = {
      queue: "hookline-events",
      messages: events.map((m, i) => ({
        id: `m${i}`,
        timestamp: new Date(),
        body: m.body,
        attempts: 1,
        ack: () => {},
        retry: () => {},
      })),
      ackAll: () => {},
      retryAll: () => {},
    };
    await handleEventBatch(batch, res);
    return (await res.ops().feedSince(0)).events.map((e) => e.event);
  };
  return { session, start, sent, consume, dir, runs, ops };
}

const uniqueChat = () => 600_000_000 + Math.floor(Math.random() * 100_000_000);

async function telegramTries(chatId: number): Promise<number> {
  const { calls } = (await (await fetch(`${telegram}/__calls`)).json()) as {
    calls: { method: string; body: { chat_id?: unknown } }[];
  };
  return calls.filter((c) => c.method === "sendMessage" && String(c.body.chat_id) === String(chatId)).length;
}

/** Moves the clock to `at`; the host's alarm timer (re-armed at most 1 s apart while early) then fires. */
const clockTo = (at: number) => vi.setSystemTime(at);

describe("run outbox: a delivery that fails for 24 h", { timeout: 60_000 }, () => {
  it("drops a chat reply after the retry window and records run.reply_failed once, with the reason", async () => {
    const { start, sent, consume } = setup();
    const chatId = uniqueChat();
    // The Bot API answers 502 for this chat for as long as the test runs: a retriable failure.
    await fetch(`${telegram}/__reject-chat`, {
      method: "POST",
      body: JSON.stringify({ chatId: String(chatId), code: 502, description: "Bad Gateway: upstream down" }),
    });
    const workflow = config.workflows["chat-collect"];
    const stub = await start("run_giveup_reply", chatId, workflow, { messages: [{ text: "hi" }] });
    await vi.waitFor(async () => expect(await telegramTries(chatId)).toBe(1), { timeout: 15_000 });
    expect(await stub.getStatus()).toBe("completed");

    // Just inside the window: tried again, still kept.
    clockTo(T0 + DELIVERY_RETRY_WINDOW_MS - HOUR);
    await vi.waitFor(async () => expect(await telegramTries(chatId)).toBe(2), { timeout: 15_000 });
    expect(sent("run.reply_failed")).toEqual([]);

    // Past the window: the next try is the last; the reply is dropped and the failure recorded.
    clockTo(T0 + DELIVERY_RETRY_WINDOW_MS + HOUR);
    await vi.waitFor(() => expect(sent("run.reply_failed")).toHaveLength(1), { timeout: 15_000 });
    expect(await telegramTries(chatId)).toBe(3);
    const [failed] = sent("run.reply_failed");
    expect(failed).toMatchObject({ runId: "run_giveup_reply", source: "demo-bot" });
    expect(String(failed?.data.reason)).toMatch(/Bad Gateway: upstream down/);

    // The run's own log (GET /runs/:id/stream) shows it, once.
    const log = await stub.eventsSince(0);
    expect(log.events.filter((e) => e.event.type === "run.reply_failed")).toHaveLength(1);

    // Nothing is tried again later. (The fake is shared with other files running now: no reset.)
    clockTo(T0 + 3 * DELIVERY_RETRY_WINDOW_MS);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await telegramTries(chatId)).toBe(3);
    expect(sent("run.reply_failed")).toHaveLength(1);

    // The EVENTS consumer takes it as any other event: it reaches the live feed.
    const feed = await consume();
    expect(feed.filter((e) => e.type === "run.reply_failed").map((e) => e.id)).toEqual([failed?.id]);
  });

  it("drops an approval prompt to an unreachable session after the window and records run.session_failed", async () => {
    const { session, start, sent, consume } = setup();
    const chatId = uniqueChat();
    const approve = config.workflows["chat-approve"] as unknown as { steps: Record<string, unknown>[] };
    // The wait outlasts the test's clock jumps, so only the prompt's delivery is at stake.
    const workflow = {
      ...approve,
      steps: approve.steps.map((s) => (s.id === "ask" ? { ...s, timeout: 30 * 24 * HOUR } : s)),
    };
    const stub = await start("run_giveup_session", chatId, workflow, null);
    await vi.waitFor(() => expect(session.tries).toBe(1), { timeout: 15_000 });
    expect(await stub.getStatus()).toBe("waiting");

    clockTo(T0 + DELIVERY_RETRY_WINDOW_MS - HOUR);
    await vi.waitFor(() => expect(session.tries).toBe(2), { timeout: 15_000 });
    expect(sent("run.session_failed")).toEqual([]);

    clockTo(T0 + DELIVERY_RETRY_WINDOW_MS + HOUR);
    await vi.waitFor(() => expect(sent("run.session_failed")).toHaveLength(1), { timeout: 15_000 });
    expect(session.tries).toBe(3);
    const [failed] = sent("run.session_failed");
    expect(failed).toMatchObject({ runId: "run_giveup_session" });
    expect(String(failed?.data.reason)).toMatch(/session object unreachable/);
    const log = await stub.eventsSince(0);
    expect(log.events.filter((e) => e.event.type === "run.session_failed")).toHaveLength(1);

    // The session is back: the dropped prompt is not sent after all, and the run still waits for its answer.
    session.down = false;
    clockTo(T0 + 3 * DELIVERY_RETRY_WINDOW_MS);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(session.tries).toBe(3);
    expect(session.received).toEqual([]);
    expect(await stub.getStatus()).toBe("waiting");

    const feed = await consume();
    expect(feed.filter((e) => e.type === "run.session_failed").map((e) => e.id)).toEqual([failed?.id]);
  });
});

describe("run outbox: the run's instance dies while it sends", { timeout: 60_000 }, () => {
  it("sends the row again after the restart: the delivery watchdog wakes the run", async () => {
    // The run completes; its reply goes out, then its "run finished" notice to the session hangs.
    const first = setup({ hang: true });
    const chatId = uniqueChat();
    const runId = "run_crash_midsend";
    await first.start(runId, chatId, config.workflows["chat-collect"], { messages: [{ text: "hi" }] });
    await vi.waitFor(() => expect(first.session.tries).toBe(1), { timeout: 15_000 });
    expect(await telegramTries(chatId)).toBe(1);
    // The process dies mid-send: the instances go, their files stay.
    await first.runs.close();
    await first.ops.close();

    // The host's alarm is a real timer: fake it too (still running on in real time), to jump past it.
    vi.useFakeTimers({
      toFake: ["Date", "setTimeout", "clearTimeout"],
      now: Date.now(),
      shouldAdvanceTime: true,
    });
    const second = setup({ dir: first.dir });
    second.session.down = false;
    // Nothing else would ever wake this completed run: only its alarm, armed while the send was in flight.
    await vi.advanceTimersByTimeAsync(DELIVERY_WATCHDOG_MS + 1_000);
    await vi.waitFor(() => expect(second.session.received).toHaveLength(1), { timeout: 15_000 });
    expect(second.session.received[0]).toMatchObject({ type: "runFinished", runId });
    // The reply that had gone out is not sent again.
    expect(await telegramTries(chatId)).toBe(1);
  });
});
