/**
 * What bench/node/{hop,stop}.ts say to a Hookline server: signed deliveries, Telegram updates and the run trace
 * (GET /runs/:id), over an undici Pool to 127.0.0.1.
 */
import { randomUUID } from "node:crypto";
import { Pool } from "undici";
import { signers } from "../../src/core/sign/index.ts";
import { TEST_BINDINGS } from "../../test/fixtures/secrets.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : Number.NaN);
export const FINISHED = ["completed", "failed", "cancelled", "governor_breached"];

/** The parts of GET /runs/:id this bench reads. */
export interface TraceStep {
  stepId: string;
  status: string;
  /** inline: run by the RunObject itself; queue: by a STEPS worker. */
  mode?: string;
  enqueuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}
export interface Trace {
  runId: string;
  status: string;
  createdAt: string;
  finishedAt: string | null;
  error: { message: string } | null;
  cancel: { source: string | null; requestedAt: string | null; acknowledgedAt: string | null } | null;
  steps: TraceStep[];
}

export interface Posted {
  /** Date.now() just before the request left (the clock the fake servers stamp with). */
  sentAt: number;
  status: number;
  body: string;
  /** POST → full answer, client side. */
  ackMs: number;
}

export class Client {
  readonly pool: Pool;
  /** Every wait gives up after this moment (Date.now()), so the bench stays bounded. */
  private readonly deadline: number;
  constructor(url: URL, connections: number, deadline: number) {
    this.pool = new Pool(url, { connections });
    this.deadline = deadline;
  }

  async post(path: string, headers: Record<string, string>, body: string | Buffer): Promise<Posted> {
    const sentAt = Date.now();
    const started = performance.now();
    const res = await this.pool.request({ method: "POST", path, headers, body });
    const text = await res.body.text();
    return { sentAt, status: res.statusCode, body: text, ackMs: performance.now() - started };
  }

  /** A GitHub-signed delivery to a run-mapped generic source: 202 with the run id. */
  async deliver(source: string, body: unknown): Promise<string> {
    const raw = Buffer.from(JSON.stringify(body));
    const headers = await signers.github({
      rawBody: raw,
      secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
      now: Date.now(),
      id: randomUUID(),
    });
    const res = await this.post(
      `/webhooks/in/${source}`,
      { "content-type": "application/json", ...headers },
      raw,
    );
    const runId = res.status === 202 ? (JSON.parse(res.body) as { runId?: string }).runId : undefined;
    if (!runId) throw new Error(`delivery to ${source} answered ${res.status} ${res.body.slice(0, 200)}`);
    return runId;
  }

  private nextUpdate = 700_000_000;
  /** One Telegram update with the webhook's secret token header, as Telegram sends it. */
  telegram(path: string, chatId: number, text: string): Promise<Posted> {
    const id = this.nextUpdate++;
    const update = {
      update_id: id,
      message: {
        message_id: id % 100_000,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: "private" },
        from: { id: chatId, is_bot: false, first_name: "Ada" },
        text,
      },
    };
    return this.post(
      path,
      {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN,
      },
      JSON.stringify(update),
    );
  }

  async trace(runId: string): Promise<Trace | null> {
    const res = await this.pool.request({
      method: "GET",
      path: `/runs/${runId}`,
      headers: { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` },
    });
    const text = await res.body.text();
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) throw new Error(`GET /runs/${runId} answered ${res.statusCode} ${text}`);
    return JSON.parse(text) as Trace;
  }

  /** Polls the trace until `done` holds (timings come from the trace, not from the poll). */
  async waitFor(runId: string, done: (t: Trace) => boolean, intervalMs: number, timeoutMs: number) {
    const started = Date.now();
    for (;;) {
      const t = await this.trace(runId);
      if (t && done(t)) return t;
      if (Date.now() - started > timeoutMs)
        throw new Error(`run ${runId} not done after ${timeoutMs} ms (status ${t?.status ?? "not started"})`);
      this.check(`run ${runId}`);
      await sleep(intervalMs);
    }
  }

  /** Waits (polling memory) until `find` returns something. */
  async until<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const started = Date.now();
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() - started > timeoutMs)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      this.check(what);
      await sleep(2);
    }
  }

  check(what: string): void {
    if (Date.now() > this.deadline) throw new Error(`bench:node ran past its time bound (${what})`);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
