/**
 * EVENTS batches shaped like the engine's: the envelopes src/host/run-store.ts sends (random UUID ids, the
 * run's identity on each), with the data the engine emits (src/engine/advance.ts, step-start.ts, on-result.ts,
 * lifecycle.ts, src/host/run-args.ts) and the session's `delivery.seen` summaries (src/host/history-feed.ts).
 *
 * Runs overlap in time as they do in production: a new run starts every `gapMs`, each run's steps take a few
 * hundred ms, and the stream (all runs' events in time order) is cut into batches of `batchSize` events, so a
 * run's `started` and `completed` usually land in different batches and the runs upsert merges real rows.
 */
import { randomUUID } from "node:crypto";
import type { EventEnvelope } from "../../src/engine/messages.ts";

/** Words for webhook payloads, outputs and the seeded history's search text (see bench/history/seed.ts). */
export const WORDS = [
  "invoice",
  "refund",
  "customer",
  "payment",
  "failed",
  "shipping",
  "delayed",
  "order",
  "subscription",
  "renewal",
  "upgrade",
  "downgrade",
  "login",
  "password",
  "reset",
  "error",
  "timeout",
  "deploy",
  "release",
  "build",
  "pipeline",
  "merge",
  "review",
  "approve",
  "reject",
  "label",
  "bug",
  "feature",
  "request",
  "question",
  "urgent",
  "priority",
  "billing",
  "account",
  "closed",
  "opened",
  "comment",
  "mention",
  "webhook",
  "signature",
  "retry",
  "queue",
  "database",
  "migration",
  "latency",
  "dashboard",
  "export",
  "import",
  "csv",
  "report",
  "weekly",
  "summary",
  "translate",
  "german",
  "french",
  "spanish",
  "support",
  "ticket",
  "escalate",
  "agent",
  "model",
  "prompt",
  "token",
  "limit",
  "quota",
  "exceeded",
  "warehouse",
  "inventory",
  "stock",
  "return",
  "exchange",
  "discount",
  "coupon",
  "checkout",
  "cart",
  "abandoned",
  "email",
  "newsletter",
  "unsubscribe",
  "spam",
  "security",
  "alert",
  "incident",
  "outage",
  "resolved",
  "monitor",
  "metric",
  "threshold",
  "crash",
  "mobile",
  "android",
  "ios",
  "browser",
  "firefox",
  "safari",
  "chrome",
  "desktop",
  "onboarding",
  "trial",
  "enterprise",
  "contract",
  "renew",
  "legal",
  "privacy",
  "gdpr",
  "delete",
  "data",
  "request",
  "audit",
  "compliance",
  "vendor",
  "partner",
  "integration",
  "slack",
  "github",
  "stripe",
  "telegram",
  "whatsapp",
  "calendar",
  "meeting",
  "schedule",
  "reminder",
  "deadline",
  "invoice",
  "overdue",
  "collections",
  "tax",
  "vat",
  "receipt",
];

export const WORKFLOWS = [
  "triage-issue",
  "answer-chat",
  "refund-check",
  "summarize-pr",
  "classify-order",
  "daily-digest",
  "label-email",
  "translate-reply",
];
export const SOURCES = ["github", "stripe", "demo-bot", "orders", "demo-wa", "slack-events"];
const MODELS = ["gpt-4o-mini", "gpt-4.1-mini", "llama3.1:8b"];

/** A small deterministic PRNG (mulberry32), so a run of the bench writes the same shapes each time. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Step = { id: string; kind: "llm" | "http" | "transform" | "reply" };
const STEPS: Step[] = [
  { id: "classify", kind: "llm" },
  { id: "lookup", kind: "http" },
  { id: "shape", kind: "transform" },
  { id: "draft", kind: "llm" },
  { id: "answer", kind: "reply" },
];

export interface StreamOptions {
  /** A run starts every this many ms of simulated time. */
  gapMs: number;
  batchSize: number;
  seed: number;
}

/**
 * Endless EVENTS batches: each call of `next()` returns the next `batchSize` events of the interleaved stream.
 * `events` counts the envelopes handed out (including `delivery.seen`, which lands in `deliveries`).
 */
export function eventStream(opts: StreamOptions) {
  const rand = prng(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(" ");
  let clock = Date.UTC(2026, 10, 1);
  let runNo = 0;
  /** Events not yet handed out, ordered by `at`. */
  let pending: EventEnvelope[] = [];

  const oneRun = (): EventEnvelope[] => {
    const start = clock + runNo * opts.gapMs;
    runNo += 1;
    const runId = randomUUID();
    const workflowId = pick(WORKFLOWS);
    const source = pick(SOURCES);
    const deliveryKey = `${source}:${randomUUID()}`;
    const who = { runId, workflowId, source, deliveryKey };
    const out: EventEnvelope[] = [];
    const ev = (type: string, at: number, data: Record<string, unknown>) =>
      out.push({ v: 1, id: randomUUID(), type, ...who, at, data });
    const payload = {
      action: "opened",
      number: 1000 + runNo,
      title: words(6),
      body: words(40),
      sender: { login: `user${Math.floor(rand() * 5000)}`, id: Math.floor(rand() * 1e7) },
      repository: { full_name: "acme/widgets", private: false },
    };
    // The session's summary of the delivery that started the run.
    out.push({
      v: 1,
      id: `delivery:${deliveryKey}:1`,
      type: "delivery.seen",
      runId: null,
      workflowId: null,
      source,
      deliveryKey,
      at: start - 3,
      data: {
        key: deliveryKey,
        source,
        channel: "generic",
        kind: "webhook",
        outcome: "run_started",
        sessionKey: `${source}:acme/widgets`,
        receivedAt: start - 5,
        expiresAt: start + 7 * 86_400_000,
        seenCount: 1,
        lastSeenAt: start - 3,
        decision: null,
      },
    });
    ev("run.state", start, {
      state: "started",
      at: start,
      workflow_version: "3",
      input_summary: JSON.stringify(payload).slice(0, 1000),
    });
    let t = start + 1;
    let inTok = 0;
    let outTok = 0;
    let cost = 0;
    for (const step of STEPS) {
      const attemptId = `${step.id}#1`;
      const base = { step_id: step.id, attempt_id: attemptId, attempt: 1, kind: step.kind };
      ev("step.start", t, { ...base, at: t });
      const latency = step.kind === "llm" ? 300 + Math.floor(rand() * 900) : step.kind === "http" ? 80 : 0;
      t += latency;
      if (step.kind === "llm") {
        const i = 200 + Math.floor(rand() * 1500);
        const o = 50 + Math.floor(rand() * 400);
        const c = (i * 0.15 + o * 0.6) / 1e6;
        inTok += i;
        outTok += o;
        cost += c;
        ev("model.call", t, {
          ...base,
          provider: "openai",
          model: pick(MODELS),
          latency_ms: latency,
          input_tokens: i,
          output_tokens: o,
          tokens_per_sec: (o * 1000) / latency,
        });
        ev("step.finish", t, {
          ...base,
          status: "succeeded",
          at: t,
          latency_ms: latency,
          output: { text: words(30 + Math.floor(rand() * 60)) },
          input_tokens: i,
          output_tokens: o,
          cost_usd: c,
        });
      } else {
        const output =
          step.kind === "http"
            ? { status: 200, body: { id: runNo, state: pick(WORDS), items: [words(5), words(5)] } }
            : step.kind === "reply"
              ? { text: words(25) }
              : { label: pick(WORDS), score: Math.round(rand() * 100) / 100 };
        ev("step.finish", t, { ...base, status: "succeeded", at: t, latency_ms: latency, output });
      }
      t += 2;
    }
    ev("run.state", t, {
      state: "completed",
      at: t,
      output: { text: words(40) },
      usage: { input_tokens: inTok, output_tokens: outTok, cost_usd: cost, steps: STEPS.length },
    });
    return out;
  };

  /** Simulated time of the next run's start; every event before it is final. */
  const horizon = () => clock + runNo * opts.gapMs;
  let handed = 0;

  return {
    /** Envelopes handed out so far. */
    get events() {
      return handed;
    },
    next(): EventEnvelope[] {
      // Runs last up to ~2.5 s of simulated time: add runs until the first batchSize events are settled.
      while (pending.length < opts.batchSize || (pending[opts.batchSize - 1]?.at ?? 0) > horizon() - 3000) {
        pending.push(...oneRun());
        pending.sort((a, b) => a.at - b.at);
      }
      const batch = pending.slice(0, opts.batchSize);
      pending = pending.slice(opts.batchSize);
      handed += batch.length;
      return batch;
    },
    /** Moves simulated time on, so a second stream's runs do not overlap this one's. */
    reset() {
      clock += runNo * opts.gapMs + 60_000;
      runNo = 0;
      pending = [];
    },
  };
}
