import { createHash } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { ObjectState } from "../../../src/host/ports.ts";
import { AlarmRegistry } from "../../../src/node/object-alarms.ts";
import { type NamespaceOptions, NodeNamespace } from "../../../src/node/object-host.ts";
import { sleep, tempDir, waitFor } from "./tmp.ts";

/** What tests observe from outside the objects. */
const seen = { constructed: 0, alarms: [] as { name: string; retryCount: number; during: number | null }[] };
let initFailuresLeft = 0;
let alarmFailuresLeft = 0;
let alarmHangs = false;

class Probe {
  private ready = false;
  private memory = 0;
  private kept: { n: number } | undefined;
  private waiters: (() => void)[] = [];

  private readonly state: ObjectState;
  private readonly name: string;

  constructor(state: ObjectState, name: string) {
    this.state = state;
    this.name = name;
    seen.constructed++;
    state.blockConcurrencyWhile(async () => {
      await sleep(20);
      if (initFailuresLeft > 0) {
        initFailuresLeft--;
        throw new Error("init failed");
      }
      state.storage.sql.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
      this.ready = true;
    });
  }

  async isReady() {
    return this.ready;
  }

  async add(n: number) {
    this.memory += n;
    this.state.storage.sql.exec(
      "INSERT INTO kv VALUES ('n', ?) ON CONFLICT (k) DO UPDATE SET v = v + ?",
      n,
      n,
    );
    return { memory: this.memory, stored: this.state.storage.sql.exec("SELECT v FROM kv").one().v };
  }

  /** Resolves only when `signal()` is called: an outstanding call like watchCancel. */
  async waitForSignal() {
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    return "signalled";
  }

  async signal() {
    for (const w of this.waiters.splice(0)) w();
  }

  async keep(obj: { n: number }) {
    obj.n++;
    this.kept = obj;
    return obj;
  }

  async kept_() {
    return this.kept;
  }

  async fail() {
    throw new TypeError("bad input");
  }

  async failCheck() {
    z.object({ text: z.string() }).parse({ text: 42 });
  }

  async background(ms: number) {
    this.state.waitUntil(sleep(ms));
  }

  async alarmIn(ms: number) {
    await this.state.storage.setAlarm(Date.now() + ms);
  }

  async getAlarm() {
    return this.state.storage.getAlarm();
  }

  async alarm(info: { retryCount: number }) {
    seen.alarms.push({
      name: this.name,
      retryCount: info.retryCount,
      during: await this.state.storage.getAlarm(),
    });
    if (alarmHangs) await new Promise(() => {});
    if (alarmFailuresLeft > 0) {
      alarmFailuresLeft--;
      throw new Error("alarm failed");
    }
  }
}

const open: NodeNamespace<Probe>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((ns) => ns.close()));
  seen.constructed = 0;
  seen.alarms = [];
  initFailuresLeft = alarmFailuresLeft = 0;
  alarmHangs = false;
});

function namespace(dir: string, extra: Partial<NamespaceOptions<Probe>> = {}) {
  const ns = new NodeNamespace<Probe>({
    kind: "probe",
    dir,
    create: (state, name) => new Probe(state, name),
    alarmRetryBaseMs: 10,
    closeTimeoutMs: 200,
    ...extra,
  });
  open.push(ns);
  return ns;
}

describe("NodeNamespace calls", () => {
  it("lets calls interleave at awaits: an outstanding call does not block another", async () => {
    const stub = namespace(tempDir()).getByName("a");
    const pending = stub.waitForSignal();
    await stub.signal();
    await expect(Promise.race([pending, sleep(500).then(() => "blocked")])).resolves.toBe("signalled");
  });

  it("holds every call until blockConcurrencyWhile in the constructor is done", async () => {
    const stub = namespace(tempDir()).getByName("a");
    const results = await Promise.all([stub.isReady(), stub.isReady()]);
    expect(results).toEqual([true, true]);
    expect(seen.constructed).toBe(1);
  });

  it("surfaces an init failure to the callers and retries with a fresh instance", async () => {
    initFailuresLeft = 1;
    const stub = namespace(tempDir()).getByName("a");
    const [first, second] = await Promise.allSettled([stub.isReady(), stub.isReady()]);
    expect(first).toMatchObject({ status: "rejected", reason: { message: "init failed" } });
    expect(second.status).toBe("rejected");
    await expect(stub.isReady()).resolves.toBe(true);
    expect(seen.constructed).toBe(2);
  });

  it("copies arguments and results, so neither side aliases the other's objects", async () => {
    const stub = namespace(tempDir()).getByName("a");
    const arg = { n: 1 };
    const back = await stub.keep(arg);
    expect(arg).toEqual({ n: 1 });
    expect(back).toEqual({ n: 2 });
    back.n = 99;
    await expect(stub.kept_()).resolves.toEqual({ n: 2 });
  });

  it("rethrows errors with their type and message, and names a missing method", async () => {
    const stub = namespace(tempDir()).getByName("a");
    await expect(stub.fail()).rejects.toThrow(TypeError);
    await expect(stub.fail()).rejects.toThrow("bad input");
    // A zod error's message is a getter, which structuredClone drops: the caller still reads what failed.
    await expect(stub.failCheck()).rejects.toThrow(/text[\s\S]*expected string/);
    await expect((stub as unknown as { nope(): Promise<void> }).nope()).rejects.toThrow(/no method "nope"/);
    await expect((stub as unknown as { toString(): Promise<void> }).toString()).rejects.toThrow(/no method/);
    expect((stub as unknown as { then: unknown }).then).toBeUndefined();
  });
});

describe("NodeNamespace lifecycle", () => {
  it("closes an idle object and re-opens it with its storage but not its memory", async () => {
    const ns = namespace(tempDir(), { idleMs: 30 });
    expect(await ns.getByName("a").add(2)).toEqual({ memory: 2, stored: 2 });
    await waitFor(() => ns.openCount === 0, "idle close");
    expect(await ns.getByName("a").add(3)).toEqual({ memory: 3, stored: 5 });
    expect(seen.constructed).toBe(2);
  });

  it("keeps an object open while its waitUntil work is pending", async () => {
    const ns = namespace(tempDir(), { idleMs: 20 });
    await ns.getByName("a").background(150);
    await sleep(100);
    expect(ns.openCount).toBe(1);
    await waitFor(() => ns.openCount === 0, "close after background work");
  });

  it("closes the least recently used idle object above maxOpen", async () => {
    const ns = namespace(tempDir(), { maxOpen: 2 });
    for (const name of ["a", "b", "c"]) await ns.getByName(name).add(1);
    expect(ns.openCount).toBe(2);
    expect(await ns.getByName("a").add(1)).toEqual({ memory: 1, stored: 2 });
  });
});

describe("NodeNamespace alarms", () => {
  it("fires alarm() when due, reading null from getAlarm() during delivery, then clears it", async () => {
    const ns = namespace(tempDir());
    const stub = ns.getByName("a");
    await stub.alarmIn(30);
    await waitFor(() => seen.alarms.length === 1, "alarm");
    expect(seen.alarms[0]).toEqual({ name: "a", retryCount: 0, during: null });
    await waitFor(async () => (await stub.getAlarm()) === null, "alarm cleared");
  });

  it("re-arms a persisted alarm after a restart, even for an object that was never reopened", async () => {
    const dir = tempDir();
    const first = namespace(dir);
    await first.getByName("sleeper").alarmIn(80);
    await first.close();
    expect(seen.alarms).toEqual([]);
    const second = namespace(dir);
    second.start();
    await waitFor(() => seen.alarms.length === 1, "alarm after restart");
    expect(seen.alarms[0]?.name).toBe("sleeper");
  });

  it("knows a committed alarm after a kill that came before the alarm index was written", async () => {
    // The kill lands after the object's commit: any alarm-index write from then on never happens.
    const dir = tempDir();
    const committed = (name: string, at: number) => {
      const file = join(dir, "probe", `${createHash("sha256").update(name).digest("hex")}.sqlite`);
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        const row = db.prepare("SELECT at FROM _hookline_alarm").get() as { at: number } | undefined;
        return row?.at === at;
      } finally {
        db.close();
      }
    };
    const set = AlarmRegistry.prototype.set;
    const spy = vi.spyOn(AlarmRegistry.prototype, "set").mockImplementation(function (
      this: AlarmRegistry,
      kind,
      name,
      at,
    ) {
      if (at !== null && committed(name, at)) throw new Error("killed after the object's commit");
      set.call(this, kind, name, at);
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const first = namespace(dir);
    await first.getByName("sleeper").alarmIn(150);
    await first.close();
    spy.mockRestore();
    errors.mockRestore();
    const second = namespace(dir);
    second.start();
    await waitFor(() => seen.alarms.length === 1, "alarm after restart, object never opened");
    expect(seen.alarms[0]?.name).toBe("sleeper");
  });

  it("redelivers an alarm whose delivery was cut short by a restart", async () => {
    const dir = tempDir();
    alarmHangs = true;
    const first = namespace(dir);
    await first.getByName("a").alarmIn(0);
    await waitFor(() => seen.alarms.length === 1, "first delivery");
    await first.close(); // gives up on the hung alarm(): as good as a killed process
    alarmHangs = false;
    namespace(dir).start();
    await waitFor(() => seen.alarms.length === 2, "redelivery after restart");
  });

  it("wakes an idle-closed object for its alarm", async () => {
    const ns = namespace(tempDir(), { idleMs: 10 });
    await ns.getByName("a").alarmIn(120);
    await waitFor(() => ns.openCount === 0, "idle close");
    await waitFor(() => seen.alarms.length === 1, "alarm");
  });

  it("retries a throwing alarm() with backoff and retryCount, then stops once it succeeds", async () => {
    alarmFailuresLeft = 2;
    const ns = namespace(tempDir());
    const stub = ns.getByName("a");
    await stub.alarmIn(0);
    await waitFor(() => seen.alarms.length === 3, "two retries");
    expect(seen.alarms.map((a) => a.retryCount)).toEqual([0, 1, 2]);
    await sleep(100);
    expect(seen.alarms).toHaveLength(3);
    expect(await stub.getAlarm()).toBeNull();
  });
});
