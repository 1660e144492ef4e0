import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type DeliverySummary, Ops } from "../../../src/host/ops.ts";
import type { ObjectState } from "../../../src/host/ports.ts";
import type { OpsApi, Resources } from "../../../src/host/resources.ts";
import { Session } from "../../../src/host/session.ts";
import { type ObjectStorage, openObjectStorage } from "../../../src/node/sqlite-storage.ts";
import { tempDir } from "../adapter/tmp.ts";

const T0 = Date.parse("2026-03-01T12:00:00.000Z");

/** An object on real node:sqlite storage, as the Node host opens it; its alarm is driven by the test. */
function objectOn(storage: ObjectStorage) {
  let ready: Promise<unknown> = Promise.resolve();
  const state: ObjectState = {
    storage,
    waitUntil: () => {},
    blockConcurrencyWhile: (fn) => {
      const p = fn();
      ready = p;
      return p;
    },
  };
  return { state, ready: () => ready };
}

let warned: string[] = [];
const opened: ObjectStorage[] = [];
beforeEach(() => {
  // Only Date is faked: the test moves the clock to each alarm's time; timers and I/O stay real.
  vi.useFakeTimers({ toFake: ["Date"], now: T0 });
  warned = [];
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    warned.push(args.map(String).join(" "));
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const s of opened.splice(0)) s.close();
});

async function setup() {
  const dir = tempDir();
  const open = (name: string) => {
    const s = openObjectStorage(`${dir}/${name}.sqlite`);
    opened.push(s);
    return s;
  };
  // The real operator index, behind a switch that makes it unreachable (the one side effect cut here).
  const opsHost = objectOn(open("ops"));
  const ops = new Ops(opsHost.state);
  await opsHost.ready();
  const index = { down: true, calls: 0, arrived: [] as DeliverySummary[] };
  const reachable: Pick<OpsApi, "indexDeliveries"> = {
    indexDeliveries: async (rows) => {
      index.calls++;
      if (index.down) throw new Error("index unreachable: connection refused");
      index.arrived.push(...rows);
      return ops.indexDeliveries(rows);
    },
  };
  const res = {
    // No chat here: deliveries without an intent only touch the ledger and the index outbox.
    config: { sources: {}, workflows: {}, models: {} },
    secrets: {},
    ops: () => reachable,
    runtime: "node",
  } as unknown as Resources;
  const storage = open("session");
  const host = objectOn(storage);
  const session = new Session(host.state, res);
  await host.ready();
  const record = (n: number) =>
    session.record({
      event: {
        kind: "event",
        channel: "generic",
        source: "github",
        deliveryKey: `github:flush-${n}`,
        sessionKey: "github:flush",
        payload: { n },
        receivedAt: new Date(Date.now()).toISOString(),
      },
      retentionMs: 3_600_000,
    });
  const pendingIndex = () =>
    storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind = 'index'").one().n;
  /** Moves the clock to the stored alarm and runs it, as the host would. */
  const fireAlarm = async () => {
    const at = await storage.getAlarm();
    if (at === null) throw new Error("no alarm set");
    vi.setSystemTime(at);
    await session.alarm();
    return at;
  };
  return { session, storage, ops, index, record, pendingIndex, fireAlarm };
}

describe("session index flush", { timeout: 45_000 }, () => {
  it("backs off 2, 4, 8 s while the index is unreachable, loses nothing, then delivers each summary once", async () => {
    const { storage, ops, index, record, pendingIndex, fireAlarm } = await setup();
    for (const n of [1, 2, 3]) expect((await record(n)).status).toBe("accepted");
    expect(await storage.getAlarm()).toBe(T0 + 1_000);

    // Three failing flushes: each retry waits twice as long as the one before.
    const delays: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const firedAt = await fireAlarm();
      delays.push(((await storage.getAlarm()) ?? 0) - firedAt);
      // A delivery recorded during the backoff queues its summary but does not cut the backoff short.
      if (i === 2) expect((await record(4)).status).toBe("accepted");
    }
    expect(delays).toEqual([2_000, 4_000, 8_000]);
    expect(index.calls).toBe(3);
    expect(warned.filter((l) => l.includes("session index flush failed"))).toEqual([
      "session index flush failed (attempt 1): index unreachable: connection refused",
      "session index flush failed (attempt 2): index unreachable: connection refused",
      "session index flush failed (attempt 3): index unreachable: connection refused",
    ]);
    // Nothing was dropped: every summary is still in the outbox, none reached the index.
    expect(pendingIndex()).toBe(4);
    expect(await ops.getDelivery("github:flush-1")).toBeNull();

    // The index is back: the next alarm delivers every summary, once, and empties the outbox.
    index.down = false;
    await fireAlarm();
    expect(index.calls).toBe(4);
    expect(index.arrived.map((s) => s.key).sort()).toEqual([
      "github:flush-1",
      "github:flush-2",
      "github:flush-3",
      "github:flush-4",
    ]);
    expect(pendingIndex()).toBe(0);
    for (const n of [1, 2, 3, 4])
      expect(await ops.getDelivery(`github:flush-${n}`)).toMatchObject({ seenCount: 1 });

    // Later alarms (the retention purge) send nothing again.
    await fireAlarm();
    expect(index.calls).toBe(4);
    expect(index.arrived).toHaveLength(4);
  });

  it("caps the backoff at five minutes and flushes at the normal pace again after a success", async () => {
    const { storage, index, record, fireAlarm } = await setup();
    await record(1);
    let last = 0;
    for (let i = 0; i < 10; i++) {
      const firedAt = await fireAlarm();
      last = ((await storage.getAlarm()) ?? 0) - firedAt;
    }
    expect(last).toBe(5 * 60_000);
    index.down = false;
    await fireAlarm();
    expect(index.arrived.map((s) => s.key)).toEqual(["github:flush-1"]);
    // A new delivery after recovery is flushed within the batching second, not after the old backoff.
    await record(2);
    expect(await storage.getAlarm()).toBe(Date.now() + 1_000);
    await fireAlarm();
    expect(index.arrived.map((s) => s.key)).toEqual(["github:flush-1", "github:flush-2"]);
  });

  it("does not retry the flush from an alarm that fires during the backoff for other work", async () => {
    const { session, storage, index, record, fireAlarm } = await setup();
    await record(1);
    const firedAt = await fireAlarm();
    const retryAt = (await storage.getAlarm()) ?? 0;
    expect(retryAt - firedAt).toBe(2_000);
    // An alarm half-way through the backoff (as chat work or a purge would bring one): the index is left alone.
    vi.setSystemTime(firedAt + 1_000);
    await session.alarm();
    expect(index.calls).toBe(1);
    expect(await storage.getAlarm()).toBe(retryAt);
    index.down = false;
    await fireAlarm();
    expect(index.calls).toBe(2);
    expect(index.arrived.map((s) => s.key)).toEqual(["github:flush-1"]);
  });
});
