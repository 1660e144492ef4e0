/**
 * Mixed load for the crash and soak scenarios, and the checks that follow it.
 *
 * Four kinds of delivery, each signed the way its sender signs it and retried the way its sender retries
 * (same delivery id, re-signed when the scheme is timestamped, until a 2xx):
 * - `chat`: a Telegram update `/stream <tag>` in a chat of its own → an llm step streaming from the fake
 *   OpenAI (`slow-<ms>`) into the chat (sendMessage + edits), then a `reply` step `done <tag>`;
 * - `order`: a Standard Webhooks order (`orders` source, session per customer) → `demo-order`;
 * - `fanout`: a GitHub-signed delivery whose workflow runs 5 llm steps in parallel through STEPS;
 * - `wait`: a GitHub-signed delivery whose workflow waits (2 s timeout, a timer) and then transforms.
 */
import { signers } from "../../src/core/sign/index.ts";
import { DELIVERY_WATCHDOG_MS } from "../../src/host/run-outbox.ts";
import { TEST_BINDINGS } from "../../test/fixtures/secrets.ts";
import type { FakeTelegram } from "../../test/servers/fake-telegram.ts";
import { sleep } from "./scenario.ts";

export const FAULTS_SECRET = "faults-webhook-secret-0123456789abcdef";
export const ADMIN_TOKEN = TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN;
export const TERMINAL = new Set(["completed", "failed", "cancelled", "governor_breached"]);
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

export type Kind = "chat" | "order" | "fanout" | "wait";

/** An llm step's timeout and retry policy, as a workflow would write them. */
export interface StepPolicy {
  timeout: string;
  retry: { maxAttempts: number; backoff: { initialMs: number; maxMs: number } };
}

/**
 * The config overlay (HOOKLINE_ENV=faults): the mix's sources, trigger and workflows. `policy` sets the llm
 * steps' timeout and retries (default: the product's, 2 min and 3 attempts), which decide how a run fares
 * when STEPS messages are lost: each lost attempt costs one timeout and one of the attempts.
 */
export function mixOverlay(streamMs: number, policy?: StepPolicy) {
  const timeout = policy ?? {};
  return {
    sources: {
      "f-fanout": {
        channel: "generic",
        scheme: "github",
        secretEnv: "FAULTS_WEBHOOK_SECRET",
        workflow: "f-fanout",
      },
      "f-wait": {
        channel: "generic",
        scheme: "github",
        secretEnv: "FAULTS_WEBHOOK_SECRET",
        workflow: "f-wait",
      },
    },
    triggers: [{ id: "f-stream", match: { source: "demo-bot", command: "/stream" }, workflow: "f-chat" }],
    workflows: {
      "f-chat": {
        steps: [
          {
            id: "think",
            kind: "llm",
            model: `openai:slow-${streamMs}`,
            stream: true,
            prompt: "{{ event.text }}",
            ...timeout,
          },
          { id: "done", kind: "reply", text: "done {{ event.text }}" },
        ],
      },
      "f-fanout": {
        steps: [
          {
            id: "each",
            kind: "parallel",
            forEach: "input.items",
            concurrency: 5,
            steps: [{ id: "say", kind: "llm", model: "echo", prompt: "item {{ item }}", ...timeout }],
          },
          { id: "tag", kind: "transform", set: { fanned: '"yes"' } },
        ],
      },
      "f-wait": {
        steps: [
          { id: "ask", kind: "wait", prompt: "Approve?", timeout: "2s", onTimeout: "late" },
          { id: "late", kind: "transform", set: { late: '"yes"' } },
        ],
      },
    },
  };
}

/** Secrets and URLs for the process (env vars on Node, `.dev.vars` for wrangler dev). */
export function mixVars(fake: { telegram: string; openai: string }): Record<string, string> {
  return {
    HOOKLINE_ADMIN_TOKEN: ADMIN_TOKEN,
    TELEGRAM_DEMO_SECRET_TOKEN: TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN,
    TELEGRAM_DEMO_BOT_TOKEN: TEST_BINDINGS.TELEGRAM_DEMO_BOT_TOKEN,
    TELEGRAM_API_ROOT: fake.telegram,
    ORDERS_WEBHOOK_SECRET: TEST_BINDINGS.ORDERS_WEBHOOK_SECRET,
    FAULTS_WEBHOOK_SECRET: FAULTS_SECRET,
    OPENAI_API_KEY: TEST_BINDINGS.OPENAI_API_KEY,
    OPENAI_BASE_URL: `${fake.openai}/v1`,
  };
}

interface Ack {
  code: number;
  status: string;
  runId?: string;
  deliveryKey?: string;
}

export interface Delivery {
  n: number;
  kind: Kind;
  id: string;
  /** The chat's reply text (chat deliveries). */
  tag: string;
  /** Requests sent (each retry and each resend counts). */
  sent: number;
  acks: Ack[];
  /** Answers that were not 2xx, or no answer (connection refused / reset / timeout). */
  refusals: number;
  firstSentAt: number;
  /** ms from the first send to the first 2xx. */
  ackLatencyMs?: number;
  /** ms of the request that got the first 2xx. */
  requestMs?: number;
}

/** Sends deliveries like real senders: retries each one until a 2xx; some get resent after their ack. */
export class Senders {
  readonly deliveries: Delivery[] = [];
  private inflight = new Set<Promise<void>>();
  private n = 0;
  private readonly base: () => string;
  private readonly rand: () => number;
  private readonly resendShare: number;
  private readonly runTag: string;
  private stopped = false;

  constructor(base: () => string, rand: () => number, resendShare = 0.1) {
    this.base = base;
    this.rand = rand;
    this.resendShare = resendShare;
    this.runTag = Math.floor(rand() * 1e9).toString(36);
  }

  /** Picks a kind from the mix (chat 30 %, order 30 %, fanout 20 %, wait 20 %) and starts sending it. */
  next(): Delivery {
    const r = this.rand();
    const kind: Kind = r < 0.3 ? "chat" : r < 0.6 ? "order" : r < 0.8 ? "fanout" : "wait";
    return this.start(kind);
  }

  /** Starts sending one delivery of `kind`, under a new id (or `id`: a replay of an earlier one). */
  start(kind: Kind, id?: string): Delivery {
    const n = this.n++;
    id ??= kind === "chat" ? String(1_000_000 + n) : `${kind}-${this.runTag}-${n}`;
    const d: Delivery = {
      n,
      kind,
      id,
      tag: `/stream ${this.runTag}-${n}`,
      sent: 0,
      acks: [],
      refusals: 0,
      firstSentAt: performance.now(),
    };
    this.deliveries.push(d);
    const p = this.sendUntilAcked(d).then(async () => {
      if (this.rand() < this.resendShare) {
        await sleep(500 + this.rand() * 3000);
        await this.sendUntilAcked(d, true);
      }
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return d;
  }

  private async request(d: Delivery): Promise<Request> {
    const base = this.base();
    const now = Date.now();
    switch (d.kind) {
      case "chat": {
        const chatId = 5_000_000 + d.n;
        const body = {
          update_id: Number(d.id),
          message: {
            message_id: 1,
            date: Math.floor(now / 1000),
            chat: { id: chatId, type: "private", first_name: "F" },
            from: { id: chatId, is_bot: false, first_name: "F" },
            text: d.tag,
            entities: [{ type: "bot_command", offset: 0, length: "/stream".length }],
          },
        };
        return signed(
          "telegram",
          `${base}/webhooks/telegram/demo-bot`,
          body,
          TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN,
          d.id,
          now,
        );
      }
      case "order": {
        const body = {
          type: "order.created",
          customer: { id: `cust-${d.n % 25}` },
          order: { id: d.id, total: (d.n * 37) % 20_000, currency: "EUR" },
        };
        // Standard Webhooks: the same webhook-id on every retry, a fresh timestamp and signature each time.
        return signed(
          "standard-webhooks",
          `${base}/webhooks/in/orders`,
          body,
          TEST_BINDINGS.ORDERS_WEBHOOK_SECRET,
          d.id,
          now,
        );
      }
      case "fanout":
        return signed(
          "github",
          `${base}/webhooks/in/f-fanout`,
          { items: [1, 2, 3, 4, 5] },
          FAULTS_SECRET,
          d.id,
          now,
        );
      case "wait":
        return signed("github", `${base}/webhooks/in/f-wait`, { text: d.id }, FAULTS_SECRET, d.id, now);
    }
  }

  /** Ends every retry loop (a scenario that failed half-way must not leave senders running). */
  stop(): void {
    this.stopped = true;
  }

  private async sendUntilAcked(d: Delivery, resend = false): Promise<void> {
    for (let tries = 0; !this.stopped; tries++) {
      const t0 = performance.now();
      d.sent++;
      try {
        const res = await fetch(await this.request(d), { signal: AbortSignal.timeout(20_000) });
        const text = await res.text();
        if (res.status >= 200 && res.status < 300) {
          const body = JSON.parse(text) as { status: string; runId?: string; deliveryKey?: string };
          d.acks.push({
            code: res.status,
            status: body.status,
            runId: body.runId,
            deliveryKey: body.deliveryKey,
          });
          if (!resend && d.ackLatencyMs === undefined) {
            d.ackLatencyMs = performance.now() - d.firstSentAt;
            d.requestMs = performance.now() - t0;
          }
          return;
        }
        d.refusals++;
      } catch {
        d.refusals++;
      }
      // Senders back off; capped low so the scenario stays short.
      await sleep(Math.min(200 * 2 ** tries, 2_000) * (0.5 + this.rand()));
    }
  }

  /** Waits until every delivery (and resend) got its 2xx, or the timeout. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inflight.size > 0 && Date.now() < deadline) await sleep(200);
    return this.inflight.size === 0;
  }

  get pending(): number {
    return this.inflight.size;
  }
}

async function signed(
  scheme: "telegram" | "standard-webhooks" | "github",
  url: string,
  body: unknown,
  secret: string,
  id: string,
  now: number,
): Promise<Request> {
  const rawBody = new TextEncoder().encode(JSON.stringify(body));
  const headers = await signers[scheme]({ rawBody, secret, now, id });
  return new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: rawBody,
  });
}

export interface TraceStep {
  stepId: string;
  attemptId: string;
  attempt: number;
  kind: string;
  mode: string;
  status: string;
  deliveries: number;
}
export interface Trace {
  runId: string;
  status: string;
  deliveryKey: string | null;
  ignoredResults: number;
  error: unknown;
  steps: TraceStep[];
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T | null }> {
  try {
    const res = await fetch(url, { headers: auth, signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    return { status: res.status, body: res.ok ? (JSON.parse(text) as T) : null };
  } catch {
    return { status: 0, body: null };
  }
}

/** Every page of a list endpoint (`GET /admin/deliveries`, `GET /runs`). */
export async function listAll<T>(url: string, field: string): Promise<T[] | null> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 200; page++) {
    const u = new URL(url);
    u.searchParams.set("limit", "500");
    if (cursor) u.searchParams.set("cursor", cursor);
    const r = await getJson<Record<string, unknown>>(u.toString());
    if (!r.body) return null;
    out.push(...((r.body[field] as T[]) ?? []));
    cursor = (r.body.nextCursor as string | null) ?? null;
    if (!cursor) return out;
  }
  return out;
}

/** Traces of `runIds`, polled until each is terminal (or, for `wait`, legitimately waiting) or the timeout. */
export async function settleTraces(
  base: () => string,
  runIds: string[],
  timeoutMs: number,
  isDone: (t: Trace) => boolean,
): Promise<Map<string, Trace>> {
  const traces = new Map<string, Trace>();
  const deadline = Date.now() + timeoutMs;
  let todo = [...runIds];
  while (todo.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < todo.length; i += 16) {
      await Promise.all(
        todo.slice(i, i + 16).map(async (id) => {
          const r = await getJson<Trace>(`${base()}/runs/${id}`);
          if (r.body) traces.set(id, r.body);
          if (!r.body || !isDone(r.body)) next.push(id);
        }),
      );
    }
    todo = next;
    if (todo.length === 0 || Date.now() > deadline) break;
    await sleep(1000);
  }
  return traces;
}

export interface MixCheck {
  deliveries: number;
  acked: number;
  kinds: Record<Kind, number>;
  requests: number;
  refusals: number;
  resends: number;
  /** Acknowledged deliveries whose 2xx answers named no run, or different runs. */
  withoutRun: number;
  twoRuns: number;
  runs: number;
  tracesMissing: number;
  notSettled: number;
  byStatus: Record<string, number>;
  /** Runs failed by a dead letter (a step message that used up its deliveries), and how many of those
   * completed when retried with `POST /runs/:id/retry`. */
  deadLettered: number;
  retriedCompleted: number;
  /** Steps (per fan-out item) with more than one succeeded attempt: a result applied twice. */
  appliedTwice: number;
  /** Results the runs ignored as stale or repeated (the guard at work, not a duplicate). */
  ignoredResults: number;
  attemptsRedelivered: number;
  /**
   * Attempts still open in a run that has ended: the engine gave up on them (their step timeout) and no worker
   * ever reported. On wrangler dev these are the STEPS messages a kill lost.
   */
  attemptsNeverReported: number;
  queuedAttempts: number;
  repliesExpected: number;
  repliesMissing: number;
  repliesDuplicated: number;
  /**
   * Of `repliesDuplicated`: second copies sent after a kill that came within `IN_FLIGHT_AT_KILL_MS` of the
   * copy before (the send-then-record window: the Bot API had the message, the process died before it
   * recorded the answer; sendMessage has no idempotency key). Each such copy's gap is in `replyKillGapsMs`.
   */
  repliesTwiceAcrossKill: number;
  replyKillGapsMs: number[];
  indexMissing: number;
  indexDuplicated: number;
  indexSeenTooLow: number;
  runIndexMissing: number;
  runIndexExtra: number;
  /** Runs GET /runs lists with another status than their trace's (terminal) one. */
  runStatusDiffers: number;
  /** Of those, listed with a status from before the run's end (running, waiting): a later event is missing. */
  runStatusStale: number;
  failures: string[];
  /** Traces worth reading (a step that looks applied twice). */
  suspicious: Trace[];
}

/** A run the dead-letter queue failed: a step message that used up its deliveries. */
const failedByDeadLetter = (t: Trace) =>
  t.status === "failed" && JSON.stringify(t.error ?? "").includes("dead-lettered");

/** The checks after the load: runs, traces, replies at the fake Bot API, the admin index. */
/**
 * How long after the Bot API received a reply a kill still counts as landing in its send-then-record window.
 * In-process the answer is recorded within milliseconds of the send returning; 2 s covers a starved event
 * loop. A copy sent again with no kill, or after a kill that came later than this, is a defect.
 */
export const IN_FLIGHT_AT_KILL_MS = 2_000;

export async function checkMix(
  base: () => string,
  senders: Senders,
  telegram: FakeTelegram,
  o: { settleMs: number; indexWaitMs: number; killTimes?: number[] },
): Promise<MixCheck> {
  const ds = senders.deliveries;
  const failures: string[] = [];
  const kinds = { chat: 0, order: 0, fanout: 0, wait: 0 } as Record<Kind, number>;
  for (const d of ds) kinds[d.kind]++;
  const acked = ds.filter((d) => d.acks.length > 0);
  let withoutRun = 0;
  let twoRuns = 0;
  const runOf = new Map<string, Delivery>();
  for (const d of acked) {
    const runIds = new Set(d.acks.map((a) => a.runId));
    if (runIds.has(undefined)) {
      withoutRun++;
      failures.push(`delivery ${d.id}: a 2xx without a run: ${JSON.stringify(d.acks)}`);
    }
    if (runIds.size > 1) {
      twoRuns++;
      failures.push(`delivery ${d.id}: 2xx answers name different runs: ${JSON.stringify(d.acks)}`);
    }
    const runId = d.acks[0]?.runId;
    if (runId) runOf.set(runId, d);
  }
  const runIds = [...runOf.keys()];
  const traces = await settleTraces(base, runIds, o.settleMs, (t) => TERMINAL.has(t.status));
  const byStatus: Record<string, number> = {};
  let tracesMissing = 0;
  let notSettled = 0;
  let appliedTwice = 0;
  let ignoredResults = 0;
  let attemptsRedelivered = 0;
  let attemptsNeverReported = 0;
  let queuedAttempts = 0;
  const suspicious: Trace[] = [];
  for (const id of runIds) {
    const t = traces.get(id);
    if (!t) {
      tracesMissing++;
      failures.push(`run ${id}: no trace`);
      continue;
    }
    byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
    if (!TERMINAL.has(t.status)) {
      notSettled++;
      if (notSettled <= 5) failures.push(`run ${id} (${runOf.get(id)?.kind}): still ${t.status}`);
      // Its trace goes to <scenario>-suspicious.json: which attempt it waits for, and since when.
      if (notSettled <= 10) suspicious.push(t);
    } else if (t.status !== "completed" && !failedByDeadLetter(t)) {
      failures.push(`run ${id} (${runOf.get(id)?.kind}): ${t.status}: ${JSON.stringify(t.error)}`);
    }
    ignoredResults += t.ignoredResults;
    const succeeded = new Map<string, number>();
    for (const s of t.steps) {
      if (s.mode === "pure") continue;
      if (s.mode === "queue") queuedAttempts++;
      if (s.deliveries > 1) attemptsRedelivered++;
      if (TERMINAL.has(t.status) && (s.status === "queued" || s.status === "running"))
        attemptsNeverReported++;
      // One logical step (a fan-out item has its own attempt ids): the attempt id without its `#n`.
      const key = s.attemptId.replace(/#\d+$/, "");
      if (s.status === "succeeded") succeeded.set(key, (succeeded.get(key) ?? 0) + 1);
    }
    for (const [key, count] of succeeded) {
      if (count > 1) {
        appliedTwice++;
        suspicious.push(t);
        failures.push(`run ${id}: step ${key} succeeded ${count} times`);
      }
    }
  }
  // A run failed by a dead letter (a STEPS message that used up its deliveries, each cut by a kill) ended as
  // designed: the step exhausted its queue retries and the run failed with the reason. The operator's way
  // back is `POST /runs/:id/retry` (a new run from the failed step, reusing the outputs before it); it must
  // complete. Anything else that failed stays a failure.
  const retried = new Map<string, string>();
  let deadLettered = 0;
  let retriedCompleted = 0;
  for (const id of runIds) {
    const t = traces.get(id);
    if (!t || !failedByDeadLetter(t)) continue;
    deadLettered++;
    const res = await fetch(`${base()}/runs/${id}/retry`, {
      method: "POST",
      headers: auth,
      signal: AbortSignal.timeout(20_000),
    }).catch((err: Error) => err);
    const body =
      res instanceof Error ? undefined : ((await res.json().catch(() => undefined)) as { runId?: string });
    if (!body?.runId) {
      failures.push(
        `run ${id}: POST /runs/:id/retry answered ${res instanceof Error ? res.message : res.status}`,
      );
      continue;
    }
    retried.set(id, body.runId);
  }
  const retryTraces = await settleTraces(base, [...retried.values()], o.settleMs, (t) =>
    TERMINAL.has(t.status),
  );
  /** A run's final word: its retry's status when it was retried. */
  const finalStatus = (id: string) => {
    const again = retried.get(id);
    return again ? retryTraces.get(again)?.status : traces.get(id)?.status;
  };
  for (const [id, again] of retried) {
    const status = retryTraces.get(again)?.status;
    if (status === "completed") retriedCompleted++;
    else failures.push(`run ${id}: its retry ${again} ended ${status ?? "without a trace"}`);
  }
  // Replies: one `done <tag>` sendMessage per completed chat run, counted at the fake Bot API. A reply goes
  // out after its run completed, from the run's outbox; one whose send a kill cut off is sent again when the
  // run's delivery watchdog wakes it (DELIVERY_WATCHDOG_MS), so wait that long for the last ones.
  /** When the fake Bot API received each `done <tag>` reply, per text (a copy per send). */
  const sentAtByText = () => {
    const sent = new Map<string, number[]>();
    for (const c of telegram.calls) {
      if (c.method !== "sendMessage" || c.status !== 200) continue;
      const text = String(c.body.text ?? "");
      if (!text.startsWith("done ")) continue;
      const at = sent.get(text);
      if (at) at.push(c.receivedAt);
      else sent.set(text, [c.receivedAt]);
    }
    return sent;
  };
  // A run completed by POST /runs/:id/retry is a new run the chat's session does not know: by design it does
  // not write to the chat (see `Run.relaunch`), so only runs that completed themselves owe a reply.
  const owesReply = (runId: string | undefined): runId is string =>
    runId !== undefined && !retried.has(runId) && finalStatus(runId) === "completed";
  const expectedReplies = acked.filter((d) => d.kind === "chat" && owesReply(d.acks[0]?.runId));
  const repliesUntil = Date.now() + DELIVERY_WATCHDOG_MS + 15_000;
  let sentTexts = sentAtByText();
  while (expectedReplies.some((d) => !sentTexts.has(`done ${d.tag}`)) && Date.now() < repliesUntil) {
    await sleep(500);
    sentTexts = sentAtByText();
  }
  let repliesExpected = 0;
  let repliesMissing = 0;
  let repliesDuplicated = 0;
  let repliesTwiceAcrossKill = 0;
  const replyKillGapsMs: number[] = [];
  const kills = o.killTimes ?? [];
  for (const d of acked) {
    if (d.kind !== "chat") continue;
    const runId = d.acks[0]?.runId;
    const at = sentTexts.get(`done ${d.tag}`) ?? [];
    const n = at.length;
    if (!owesReply(runId)) {
      if (n > 1) {
        repliesDuplicated += n - 1;
        failures.push(`chat ${d.id}: reply "done ${d.tag}" sent ${n} times by a run that was retried`);
      }
      continue;
    }
    repliesExpected++;
    if (n === 0) {
      repliesMissing++;
      failures.push(`chat ${d.id}: reply "done ${d.tag}" never sent`);
    } else if (n > 1) {
      repliesDuplicated += n - 1;
      let explained = 0;
      for (let i = 1; i < at.length; i++) {
        const prev = at[i - 1] as number;
        const kill = kills.find((k) => k >= prev && k <= (at[i] as number));
        if (kill !== undefined && kill - prev <= IN_FLIGHT_AT_KILL_MS) {
          explained++;
          replyKillGapsMs.push(kill - prev);
        }
      }
      repliesTwiceAcrossKill += explained;
      failures.push(
        `chat ${d.id}: reply "done ${d.tag}" sent ${n} times${explained === n - 1 ? " (each copy after the first follows a kill that came while the copy before was in flight)" : ""}`,
      );
    }
  }
  // The admin index (fed by the sessions' outboxes) against the deliveries acknowledged, and the run index
  // (fed by EVENTS) against the runs. Both are eventually consistent: poll until they agree or time runs out.
  const keys = new Map(acked.map((d) => [d.acks[0]?.deliveryKey ?? d.id, d]));
  let indexMissing = 0;
  let indexDuplicated = 0;
  let indexSeenTooLow = 0;
  let runIndexMissing = 0;
  let runIndexExtra = 0;
  let runStatusDiffers = 0;
  let runStatusStale = 0;
  const lowSeen: { key: string; seenCount: number; acks: number; sent: number }[] = [];
  const deadline = Date.now() + o.indexWaitMs;
  for (;;) {
    const items =
      (await listAll<{ key: string; seenCount: number }>(`${base()}/admin/deliveries`, "deliveries")) ?? [];
    const runs =
      (await listAll<{ runId: string; deliveryKey: string | null; status: string }>(
        `${base()}/runs`,
        "runs",
      )) ?? [];
    const seen = new Map<string, number>();
    indexSeenTooLow = 0;
    lowSeen.length = 0;
    for (const it of items) {
      seen.set(it.key, (seen.get(it.key) ?? 0) + 1);
      const d = keys.get(it.key);
      if (d && it.seenCount < d.acks.length) {
        indexSeenTooLow++;
        lowSeen.push({ key: it.key, seenCount: it.seenCount, acks: d.acks.length, sent: d.sent });
      }
    }
    indexMissing = [...keys.keys()].filter((k) => !seen.has(k)).length;
    indexDuplicated = [...seen.values()].filter((v) => v > 1).length;
    const listed = new Set(runs.map((r) => r.runId));
    runIndexMissing = runIds.filter((id) => !listed.has(id)).length;
    const retries = new Set(retried.values());
    runIndexExtra = runs.filter((r) => !runOf.has(r.runId) && !retries.has(r.runId)).length;
    // The list (the run index, or Postgres history when configured) must agree with each run's own trace.
    const differs = runs.filter((r) => {
      const t = traces.get(r.runId) ?? retryTraces.get(r.runId);
      return t !== undefined && TERMINAL.has(t.status) && r.status !== t.status;
    });
    runStatusDiffers = differs.length;
    runStatusStale = differs.filter((r) => !TERMINAL.has(r.status)).length;
    if (
      (indexMissing === 0 && runIndexMissing === 0 && indexSeenTooLow === 0 && runStatusDiffers === 0) ||
      Date.now() > deadline
    )
      break;
    await sleep(2000);
  }
  if (indexMissing)
    failures.push(`${indexMissing} acknowledged deliveries missing from GET /admin/deliveries`);
  if (indexDuplicated) failures.push(`${indexDuplicated} deliveries listed twice in GET /admin/deliveries`);
  for (const l of lowSeen.slice(0, 5)) {
    const session =
      keys.get(l.key)?.kind === "chat"
        ? `?session=${encodeURIComponent(`demo-bot:${5_000_000 + (keys.get(l.key)?.n ?? 0)}`)}`
        : "";
    const ledger = await getJson<Record<string, unknown>>(
      `${base()}/admin/deliveries/${encodeURIComponent(l.key)}${session}`,
    );
    failures.push(
      `delivery ${l.key}: index seenCount ${l.seenCount} < ${l.acks} 2xx answers (${l.sent} requests); the ledger says ${JSON.stringify(ledger.body)?.slice(0, 300)}`,
    );
  }
  if (runIndexMissing) failures.push(`${runIndexMissing} runs missing from GET /runs`);
  if (runStatusDiffers)
    failures.push(`${runStatusDiffers} runs listed by GET /runs with a status their trace does not have`);
  if (runIndexExtra)
    failures.push(`${runIndexExtra} runs in GET /runs that no 2xx named (a second run for a delivery?)`);
  return {
    deliveries: ds.length,
    acked: acked.length,
    kinds,
    requests: ds.reduce((s, d) => s + d.sent, 0),
    refusals: ds.reduce((s, d) => s + d.refusals, 0),
    resends: ds.filter((d) => d.acks.length > 1).length,
    withoutRun,
    twoRuns,
    runs: runIds.length,
    tracesMissing,
    notSettled,
    byStatus,
    deadLettered,
    retriedCompleted,
    appliedTwice,
    ignoredResults,
    attemptsRedelivered,
    attemptsNeverReported,
    queuedAttempts,
    repliesExpected,
    repliesMissing,
    repliesDuplicated,
    repliesTwiceAcrossKill,
    replyKillGapsMs,
    indexMissing,
    indexDuplicated,
    indexSeenTooLow,
    runIndexMissing,
    runIndexExtra,
    runStatusDiffers,
    runStatusStale,
    failures,
    suspicious,
  };
}

/** The rows every mix scenario shows. */
export function mixRows(c: MixCheck): string[][] {
  return [
    [
      "deliveries (chat / order / fanout / wait)",
      `${c.deliveries} (${c.kinds.chat} / ${c.kinds.order} / ${c.kinds.fanout} / ${c.kinds.wait})`,
    ],
    ["acknowledged with a 2xx", String(c.acked)],
    ["requests sent / refused or unanswered", `${c.requests} / ${c.refusals}`],
    ["deliveries resent after their 2xx", String(c.resends)],
    ["2xx without a run / naming two runs", `${c.withoutRun} / ${c.twoRuns}`],
    ["runs / traces missing", `${c.runs} / ${c.tracesMissing}`],
    [
      "runs by status",
      Object.entries(c.byStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
    ],
    ["runs not terminal at the end", String(c.notSettled)],
    [
      "failed by a dead letter / completed on POST /runs/:id/retry",
      `${c.deadLettered} / ${c.retriedCompleted}`,
    ],
    ["steps applied twice", String(c.appliedTwice)],
    ["results ignored as stale or repeated", String(c.ignoredResults)],
    [
      "queued attempts / redelivered / never reported (given up at their timeout)",
      `${c.queuedAttempts} / ${c.attemptsRedelivered} / ${c.attemptsNeverReported}`,
    ],
    [
      "chat replies expected / missing / duplicated",
      `${c.repliesExpected} / ${c.repliesMissing} / ${c.repliesDuplicated}`,
    ],
    [
      `of the duplicated: sent again after a kill within ${IN_FLIGHT_AT_KILL_MS} ms of the copy before (gap max)`,
      `${c.repliesTwiceAcrossKill}${c.replyKillGapsMs.length ? ` (${Math.max(...c.replyKillGapsMs)} ms)` : ""}`,
    ],
    [
      "index: deliveries missing / listed twice / seenCount low",
      `${c.indexMissing} / ${c.indexDuplicated} / ${c.indexSeenTooLow}`,
    ],
    [
      "GET /runs: missing / extra / status ≠ trace",
      `${c.runIndexMissing} / ${c.runIndexExtra} / ${c.runStatusDiffers}`,
    ],
  ];
}
