import { asc, eq, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { sendToChat } from "../channels/senders.ts";
import { configFor } from "../config/runtime.ts";
import type { HooklineConfig } from "../config/schema.ts";
import { InboundEvent } from "../core/inbound-event.ts";
import {
  approvalButtonId,
  chatTargetOf,
  type Intent,
  parseApprovalButton,
  type RunIntent,
} from "../core/intent.ts";
import { approvals, deliveries, pending, sessionState } from "../db/durable/session-schema.ts";
import type { Env } from "../env.ts";
import { runIdFor } from "./run-id.ts";

type Db = DrizzleSqliteDODatabase<Record<string, never>>;

/** One queued piece of work for the session: an intent, the delivery it came with, and its run id. */
export interface IntentRow {
  deliveryKey: string;
  intent: Intent;
  runId?: string;
}

const FINISHED = new Set(["completed", "failed", "cancelled", "governor_breached"]);

/**
 * The chat side of a SessionObject: at most one active run per conversation, and what happens to a message
 * that arrives while one is active (the trigger's `onBusy`: queue, interrupt, steer, collect), plus the
 * commands (/stop, /status, /help) and approval buttons.
 *
 * Ordering guarantees: intents are carried out one at a time, in the order their deliveries were recorded
 * in this session (one session = one chat). Queued messages start in arrival order (FIFO). A collect window
 * turns every message that arrived in it into one run's input, in arrival order.
 */
export class ChatSession {
  private readonly db: Db;
  private readonly env: Env;
  private readonly ctx: DurableObjectState;

  constructor(db: Db, env: Env, ctx: DurableObjectState) {
    this.db = db;
    this.env = env;
    this.ctx = ctx;
  }

  private get config(): HooklineConfig {
    return configFor(this.env.HOOKLINE_ENV);
  }

  private state() {
    const row = this.db.select().from(sessionState).where(eq(sessionState.id, 1)).get();
    if (row) return row;
    const fresh = { id: 1, activeRunId: null, activeSince: null, collectUntil: null, collectHardUntil: null };
    this.db.insert(sessionState).values(fresh).onConflictDoNothing().run();
    return fresh;
  }

  private setActive(runId: string | null) {
    this.state();
    this.db
      .update(sessionState)
      .set({ activeRunId: runId, activeSince: runId ? Date.now() : null })
      .where(eq(sessionState.id, 1))
      .run();
  }

  private event(deliveryKey: string): InboundEvent | undefined {
    const row = this.db
      .select({ event: deliveries.event })
      .from(deliveries)
      .where(eq(deliveries.key, deliveryKey))
      .get();
    return row ? InboundEvent.parse(JSON.parse(row.event)) : undefined;
  }

  private async reply(event: InboundEvent, text: string, buttons?: { id: string; title: string }[]) {
    const source = this.config.sources[event.source];
    const target = chatTargetOf(event);
    if (!source || !target) return;
    await sendToChat(this.env, source, target, text, buttons ? { buttons } : undefined);
  }

  /** The active run, if it is still running; a run that finished without telling us is cleared here. */
  private async activeRun(): Promise<string | undefined> {
    const { activeRunId } = this.state();
    if (!activeRunId) return undefined;
    const status = await this.env.RUNS.getByName(activeRunId).getStatus();
    if (status && !FINISHED.has(status)) return activeRunId;
    this.setActive(null);
    return undefined;
  }

  /** WhatsApp: every inbound message is marked read (with "typing…" when it starts work). Best effort. */
  private async markRead(event: InboundEvent, typing: boolean): Promise<void> {
    if (event.channel !== "whatsapp") return;
    const wamid = (event.payload as { message?: { id?: string } })?.message?.id;
    const source = this.config.sources[event.source];
    const target = chatTargetOf(event);
    if (!wamid || !source || !target) return;
    await sendToChat(this.env, source, target, null, { markRead: wamid, typing }).catch((err) =>
      console.warn(`mark read failed: ${(err as Error).message}`),
    );
  }

  /** Carries out one intent. Throws only on infrastructure failures, so the caller retries later. */
  async handle(row: IntentRow): Promise<void> {
    const event = this.event(row.deliveryKey);
    if (!event) return; // expired before we got to it
    const { intent } = row;
    await this.markRead(event, intent.type === "run");
    switch (intent.type) {
      case "skip":
        return;
      case "command":
        return this.command(intent.command, event);
      case "button":
        return this.button(intent.data, intent.callbackId, event);
      case "run":
        if (!intent.exclusive)
          return void (await this.startRun(row.runId ?? (await runIdFor(row.deliveryKey)), intent, event));
        return this.message(row, intent, event);
    }
  }

  private async message(row: IntentRow, intent: RunIntent, event: InboundEvent): Promise<void> {
    if (intent.onBusy === "collect") return this.collect(row, intent);
    const active = await this.activeRun();
    const runId = row.runId ?? (await runIdFor(row.deliveryKey));
    if (!active) return this.startExclusive(runId, intent, event);
    switch (intent.onBusy) {
      case "interrupt":
        await this.env.RUNS.getByName(active).cancel({
          source: `${event.channel}:interrupt`,
          requestedAt: Date.now(),
        });
        this.setActive(null);
        return this.startExclusive(runId, intent, event);
      case "steer": {
        const steered = await this.env.RUNS.getByName(active).steer(event.text ?? "");
        if (steered.accepted) return;
        return this.startExclusive(runId, intent, event);
      }
      default: {
        const depth =
          this.db.select({ n: sql<number>`count(*)` }).from(pending).where(eq(pending.kind, "queue")).get()
            ?.n ?? 0;
        if (depth >= intent.maxDepth) {
          await this.reply(
            event,
            `I'm still working on your previous message and ${depth} more are waiting. Please try again in a moment.`,
          );
          return;
        }
        this.db
          .insert(pending)
          .values({
            kind: "queue",
            deliveryKey: row.deliveryKey,
            intent: JSON.stringify({ ...row, runId }),
            at: Date.now(),
          })
          .run();
      }
    }
  }

  private async collect(row: IntentRow, intent: RunIntent): Promise<void> {
    const now = Date.now();
    const s = this.state();
    const hard = s.collectHardUntil ?? now + intent.maxDelayMs;
    const until = Math.min(now + intent.collectMs, hard);
    this.db
      .insert(pending)
      .values({ kind: "collect", deliveryKey: row.deliveryKey, intent: JSON.stringify(row), at: now })
      .run();
    this.db
      .update(sessionState)
      .set({ collectUntil: until, collectHardUntil: hard })
      .where(eq(sessionState.id, 1))
      .run();
  }

  /** When the collect window closes: every collected message becomes one run's input, in arrival order. */
  async closeCollectWindow(now = Date.now()): Promise<void> {
    const s = this.state();
    if (s.collectUntil === null || now < s.collectUntil) return;
    const rows = this.db
      .select()
      .from(pending)
      .where(eq(pending.kind, "collect"))
      .orderBy(asc(pending.id))
      .all();
    this.db
      .update(sessionState)
      .set({ collectUntil: null, collectHardUntil: null })
      .where(eq(sessionState.id, 1))
      .run();
    if (rows.length === 0) return;
    const first = JSON.parse(rows[0]?.intent ?? "{}") as IntentRow;
    const events = rows.map((r) => this.event(r.deliveryKey)).filter((e): e is InboundEvent => !!e);
    const intent = { ...(first.intent as RunIntent), onBusy: "queue" as const };
    const batch: IntentRow = {
      deliveryKey: first.deliveryKey,
      intent: {
        ...intent,
        input: {
          messages: events.map((e) => ({ text: e.text ?? "", sender: e.sender ?? null, at: e.receivedAt })),
        },
      },
      runId: await runIdFor(`collect:${first.deliveryKey}`),
    };
    this.db.delete(pending).where(eq(pending.kind, "collect")).run();
    const event = events[0];
    if (!event) return;
    await this.message(batch, batch.intent as RunIntent, event);
  }

  /** The next alarm the chat side needs: the collect window's close. */
  nextWake(): number | undefined {
    return this.state().collectUntil ?? undefined;
  }

  /** A run of ours finished: start the next queued message, if any. */
  async runFinished(runId: string): Promise<void> {
    const s = this.state();
    if (s.activeRunId !== runId) return;
    this.setActive(null);
    await this.startNextQueued();
  }

  private async startNextQueued(): Promise<void> {
    for (;;) {
      const next = this.db
        .select()
        .from(pending)
        .where(eq(pending.kind, "queue"))
        .orderBy(asc(pending.id))
        .limit(1)
        .get();
      if (!next) return;
      this.db.delete(pending).where(eq(pending.id, next.id)).run();
      const row = JSON.parse(next.intent) as IntentRow;
      const event = this.event(row.deliveryKey);
      if (!event || row.intent.type !== "run") continue;
      return this.startExclusive(row.runId ?? (await runIdFor(row.deliveryKey)), row.intent, event);
    }
  }

  private async startExclusive(runId: string, intent: RunIntent, event: InboundEvent): Promise<void> {
    this.setActive(runId);
    const result = await this.startRun(runId, intent, event);
    if (!result || FINISHED.has(result.status)) {
      this.setActive(null);
      return this.startNextQueued();
    }
    const source = this.config.sources[event.source];
    const target = chatTargetOf(event);
    if (source && target)
      await sendToChat(this.env, source, target, null, { typing: true }).catch(() => undefined);
  }

  private async startRun(runId: string, intent: RunIntent, event: InboundEvent) {
    const workflow = this.config.workflows[intent.workflowId];
    if (!workflow) {
      console.error(`cannot start ${runId}: workflow "${intent.workflowId}" is not in the config`);
      return undefined;
    }
    return this.env.RUNS.getByName(runId).start({
      runId,
      workflowId: intent.workflowId,
      workflow,
      input: (intent.input ?? event.payload ?? null) as never,
      event: event as never,
      prices: this.config.models,
      origin: {
        source: event.source,
        deliveryKey: event.deliveryKey,
        sessionKey: event.sessionKey,
        channel: event.channel,
        chatId: chatTargetOf(event) ?? null,
        senderId: event.sender?.id ?? null,
      },
    });
  }

  private async command(command: "stop" | "status" | "help", event: InboundEvent): Promise<void> {
    const source = this.config.sources[event.source];
    if (!source || source.channel === "generic") return;
    if (command === "help") return this.reply(event, source.chat.helpText);
    const active = await this.activeRun();
    const queued =
      this.db.select({ n: sql<number>`count(*)` }).from(pending).where(eq(pending.kind, "queue")).get()?.n ??
      0;
    if (command === "status") {
      if (!active) return this.reply(event, queued > 0 ? `Idle, ${queued} waiting.` : "Idle.");
      const status = await this.env.RUNS.getByName(active).getProgress();
      const step = status?.currentStep ? `step "${status.currentStep}"` : "between steps";
      const elapsed = status ? Math.round((Date.now() - status.startedAt) / 100) / 10 : 0;
      return this.reply(event, `Working: ${step}, ${elapsed} s so far, ${queued} waiting.`);
    }
    // stop: cancel the active run; the confirmation carries the measured cancel latency.
    const requestedAt = Date.parse(event.receivedAt);
    if (source.chat.stopClearsQueue) this.db.delete(pending).where(eq(pending.kind, "queue")).run();
    if (!active) return this.reply(event, "Nothing to stop.");
    const ack = await this.env.RUNS.getByName(active).cancel({
      source: `${event.channel}:/stop`,
      requestedAt,
    });
    this.setActive(null);
    const latency = "latencyMs" in ack && typeof ack.latencyMs === "number" ? ack.latencyMs : 0;
    await this.reply(event, `Stopped after ${latency} ms.`);
    if (!source.chat.stopClearsQueue) await this.startNextQueued();
  }

  /** Records an approval prompt and sends it with buttons. Returns the token the buttons carry. */
  async requestApproval(args: {
    runId: string;
    waitId: string;
    stepId: string;
    prompt: string;
    allowed: string[];
    deliveryKey: string;
  }) {
    const token = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
    this.db
      .insert(approvals)
      .values({
        token,
        runId: args.runId,
        waitId: args.waitId,
        stepId: args.stepId,
        allowed: JSON.stringify(args.allowed),
        createdAt: Date.now(),
      })
      .run();
    const event = this.event(args.deliveryKey);
    if (event) {
      await this.reply(event, args.prompt, [
        { id: approvalButtonId(token, true), title: "Approve" },
        { id: approvalButtonId(token, false), title: "Reject" },
      ]);
    }
    return token;
  }

  private async button(data: string, callbackId: string | undefined, event: InboundEvent): Promise<void> {
    const source = this.config.sources[event.source];
    const parsed = parseApprovalButton(data);
    const row = parsed
      ? this.db.select().from(approvals).where(eq(approvals.token, parsed.token)).get()
      : undefined;
    const answer = async (text: string) => {
      if (source && callbackId)
        await sendToChat(this.env, source, "", null, { answerButton: { id: callbackId, text } });
      else await this.reply(event, text);
    };
    if (!parsed || !row) return answer("This button has expired.");
    const allowed = JSON.parse(row.allowed) as string[];
    if (allowed.length > 0 && !allowed.includes(event.sender?.id ?? ""))
      return answer("You are not allowed to answer this.");
    if (row.answeredAt) return answer("Already answered.");
    const result = await this.env.RUNS.getByName(row.runId).resume({ approved: parsed.approve }, row.stepId);
    this.db.update(approvals).set({ answeredAt: Date.now() }).where(eq(approvals.token, row.token)).run();
    await answer(
      result.found && result.resumed
        ? parsed.approve
          ? "Approved."
          : "Rejected."
        : "The request is no longer waiting.",
    );
  }
}
