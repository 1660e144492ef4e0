/**
 * Chat turn throughput for bench/chat.ts: CHATS chats each send a turn (a new Telegram update), wait for that
 * turn's `sendMessage` at the fake Bot API, and send the next, for a fixed window. Closed loop, so turns/s is what
 * the worker sustains with CHATS conversations going at once. Run against Hookline and the grammY bot in the
 * same workerd, alternating rounds; workerd CPU (from /proc) over each window gives CPU per turn.
 */
import type { Pool } from "undici";
import type { FakeTelegram } from "../../test/servers/fake-telegram.ts";

export interface ThroughputTarget {
  id: "hookline" | "grammy";
  pool: Pool;
  path: string;
  /** The webhook status a turn must get (Hookline 202, grammY 200). */
  status: number;
}

export interface ThroughputRound {
  target: string;
  turns: number;
  wallMs: number;
  turnsPerSec: number;
  cpuMs: number;
  cpuPerTurnMs: number;
  /** Per-turn POST → its sendMessage, ms. */
  turnP50Ms: number;
  turnP95Ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves waiters when the fake sees `sendMessage` with the expected text in the expected chat. */
class ReplyWaiter {
  private seen = 0;
  private readonly waiting = new Map<string, () => void>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly fake: FakeTelegram;
  constructor(fake: FakeTelegram) {
    this.fake = fake;
    this.seen = fake.calls.length;
    this.timer = setInterval(() => this.scan(), 1);
  }
  private scan(): void {
    const calls = this.fake.calls;
    for (; this.seen < calls.length; this.seen++) {
      const c = calls[this.seen];
      if (c?.method !== "sendMessage") continue;
      const key = `${c.body.chat_id}|${c.body.text}`;
      const done = this.waiting.get(key);
      if (done) {
        this.waiting.delete(key);
        done();
      }
    }
  }
  wait(chatId: number, text: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const key = `${chatId}|${text}`;
      const t = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no sendMessage "${text}" to chat ${chatId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  close(): void {
    clearInterval(this.timer);
  }
}

let nextUpdate = 600_000_000;

async function turn(
  t: ThroughputTarget,
  waiter: ReplyWaiter,
  chatId: number,
  secret: string,
): Promise<number> {
  const upd = nextUpdate++;
  const text = `turn ${upd}`;
  const body = JSON.stringify({
    update_id: upd,
    message: {
      message_id: upd % 1_000_000,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private" },
      from: { id: chatId, is_bot: false, first_name: "Ada" },
      text,
    },
  });
  const started = performance.now();
  const replied = waiter.wait(chatId, `echo: ${text}`, 30_000);
  const res = await t.pool.request({
    method: "POST",
    path: t.path,
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
    body,
  });
  const answer = await res.body.text();
  if (res.statusCode !== t.status) {
    replied.catch(() => {});
    throw new Error(`${t.id} answered ${res.statusCode} ${answer.slice(0, 200)} (expected ${t.status})`);
  }
  await replied;
  return performance.now() - started;
}

/** One closed-loop window: `chats` loops, each turn after the previous turn's reply, for `windowMs`. */
export async function throughputRound(
  t: ThroughputTarget,
  fake: FakeTelegram,
  opts: { chats: number; firstChat: number; windowMs: number; secret: string; cpuMs: () => number },
): Promise<ThroughputRound> {
  const waiter = new ReplyWaiter(fake);
  const lat: number[] = [];
  try {
    const cpu0 = opts.cpuMs();
    const t0 = performance.now();
    const end = t0 + opts.windowMs;
    await Promise.all(
      Array.from({ length: opts.chats }, async (_, i) => {
        while (performance.now() < end) lat.push(await turn(t, waiter, opts.firstChat + i, opts.secret));
      }),
    );
    const wallMs = performance.now() - t0;
    const cpuMs = opts.cpuMs() - cpu0;
    lat.sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
    return {
      target: t.id,
      turns: lat.length,
      wallMs,
      turnsPerSec: (lat.length * 1000) / wallMs,
      cpuMs,
      cpuPerTurnMs: cpuMs / lat.length,
      turnP50Ms: q(0.5),
      turnP95Ms: q(0.95),
    };
  } finally {
    waiter.close();
  }
}

/** Warm-up (one short window each, not kept), then `rounds` windows per target, alternating the order. */
export async function measureThroughput(
  targets: ThroughputTarget[],
  fake: FakeTelegram,
  opts: { chats: number; rounds: number; windowMs: number; secret: string; cpuMs: () => number },
  log: (m: string) => void,
): Promise<ThroughputRound[]> {
  const out: ThroughputRound[] = [];
  const firstChat = (i: number) => 850_000_000 + i * 1_000;
  for (const [i, t] of targets.entries())
    await throughputRound(t, fake, { ...opts, firstChat: firstChat(i), windowMs: 1_500 });
  for (let r = 0; r < opts.rounds; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const i = targets.indexOf(t);
      await sleep(300);
      const res = await throughputRound(t, fake, { ...opts, firstChat: firstChat(i) });
      log(
        `  ${t.id} round ${r + 1}: ${res.turns} turns in ${Math.round(res.wallMs)} ms = ${res.turnsPerSec.toFixed(1)} turns/s, ` +
          `turn p50 ${res.turnP50Ms.toFixed(1)} p95 ${res.turnP95Ms.toFixed(1)} ms, workerd CPU ${res.cpuPerTurnMs.toFixed(2)} ms/turn`,
      );
      out.push(res);
    }
  }
  return out;
}
