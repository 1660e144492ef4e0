import type { QueueBatch, QueueMessage } from "../host/ports.ts";
import type { Resources } from "../host/resources.ts";

/**
 * Queue chaos for the fault harness (`npm run faults`, scenario `chaos`): the STEPS consumer misbehaves the
 * way a real one can. Off unless BOTH `HOOKLINE_ENV` is `test` or `faults` AND `HOOKLINE_CHAOS` is set.
 * Production cannot switch it on by config: its environment is `production`/`development` (wrangler.toml's
 * `[vars]`, `hookline serve --env`), and `chaosFrom` ignores `HOOKLINE_CHAOS` under any other name. The
 * environments `test` and `faults` exist only in the test suite and in the harness's scratch copies.
 *
 * `HOOKLINE_CHAOS` is a list `key=value,…`:
 * - `throw=p`   the batch handler throws before it handles anything (the whole batch is retried);
 * - `kill=p`    killed mid-batch: every message is handled (the step runs and is reported), but the acks of
 *               a random half are lost and the handler throws, so those are redelivered;
 * - `timeout=p` a message hangs `timeoutMs` (default 2000) and then fails, like a consumer past its limit;
 * - `dup=p`     a message is sent again (a second copy with a new id), as at-least-once delivery may;
 * - `reorder=1` each batch is handled in a random order;
 * - `poison=p`  a share of attempts (chosen by a hash of the attempt id) fails on every delivery, so it
 *               exhausts max_retries and goes to the dead-letter queue.
 * Every injected fault is logged as one `chaos: <kind> …` line, which the harness counts.
 */
export interface Chaos {
  throw: number;
  kill: number;
  timeout: number;
  timeoutMs: number;
  dup: number;
  reorder: boolean;
  poison: number;
}

const ENVS = new Set(["test", "faults"]);

/** The chaos settings, or null: always null unless the environment is `test` or `faults`. */
export function chaosFrom(secrets: Readonly<Record<string, string | undefined>>): Chaos | null {
  const spec = secrets.HOOKLINE_CHAOS;
  if (!spec || !ENVS.has(secrets.HOOKLINE_ENV ?? "")) return null;
  const v: Record<string, number> = {};
  for (const part of spec.split(",")) {
    const [k, raw] = part.split("=");
    const n = Number(raw);
    if (k && Number.isFinite(n)) v[k.trim()] = n;
  }
  return {
    throw: v.throw ?? 0,
    kill: v.kill ?? 0,
    timeout: v.timeout ?? 0,
    timeoutMs: v.timeoutMs ?? 2000,
    dup: v.dup ?? 0,
    reorder: (v.reorder ?? 0) > 0,
    poison: v.poison ?? 0,
  };
}

/** A number in [0, 1) from a string (FNV-1a), so a poisoned attempt stays poisoned on every delivery. */
function unit(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}

/**
 * `run/attempt@message`: the queue message id too, because a duplicated message is a second copy with
 * deliveries of its own; an attempt's failures are counted per copy, as the queue counts them.
 */
const attemptOf = (msg: QueueMessage) => `${attemptKey(msg)}@${msg.id}`;
/** `run/attempt`: what poison is decided by, so every copy and delivery of a poisoned attempt fails. */
const attemptKey = (msg: QueueMessage) => {
  const body = msg.body as { attemptId?: unknown; runId?: unknown } | null;
  return `${String(body?.runId)}/${String(body?.attemptId)}`;
};

/** Wraps the STEPS batch handler with the faults `chaos` asks for. */
export async function chaoticStepBatch(
  batch: QueueBatch,
  res: Resources,
  chaos: Chaos,
  handle: (msg: QueueMessage) => Promise<void>,
): Promise<void> {
  if (Math.random() < chaos.throw) {
    console.warn(`chaos: throw ${batch.messages.map(attemptOf).join(" ")}`);
    throw new Error("chaos: the consumer threw");
  }
  const messages = [...batch.messages];
  if (chaos.reorder) {
    for (let i = messages.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [messages[i], messages[j]] = [messages[j] as QueueMessage, messages[i] as QueueMessage];
    }
  }
  const killed = Math.random() < chaos.kill;
  let lostAcks = 0;
  await Promise.all(
    messages.map(async (msg) => {
      const attempt = attemptOf(msg);
      if (Math.random() < chaos.dup) {
        console.warn(`chaos: dup ${attempt}`);
        await res.steps.send(msg.body, { contentType: "json" });
      }
      if (unit(attemptKey(msg)) < chaos.poison) {
        console.warn(`chaos: poison ${attempt}`);
        msg.retry({ delaySeconds: 0 });
        return;
      }
      if (Math.random() < chaos.timeout) {
        console.warn(`chaos: timeout ${attempt}`);
        await new Promise((r) => setTimeout(r, chaos.timeoutMs));
        msg.retry({ delaySeconds: 0 });
        return;
      }
      if (killed && Math.random() < 0.5) {
        lostAcks++;
        // The step runs and is reported, but its ack never reaches the queue.
        await handle({
          id: msg.id,
          timestamp: msg.timestamp,
          body: msg.body,
          attempts: msg.attempts,
          ack() {},
          retry() {},
        });
        return;
      }
      await handle(msg);
    }),
  );
  if (killed) {
    console.warn(`chaos: kill mid-batch, ${lostAcks} of ${messages.length} acks lost`);
    throw new Error("chaos: the consumer died mid-batch");
  }
}
