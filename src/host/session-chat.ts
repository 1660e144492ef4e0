import { asc, eq, sql } from "drizzle-orm";
import { chat, chatActions, deliveries, outbox } from "../db/durable/session-schema.ts";
import {
  type ChatSettings,
  decide,
  initialSessionState,
  messageRefOf,
  nextWakeOf,
  type SessionAction,
  type SessionInput,
  SessionState,
} from "../session/index.ts";
import type { IntentRow } from "./ledger.ts";
import type { StoragePort } from "./ports.ts";
import type { RunToSession } from "./protocol.ts";
import type { Resources } from "./resources.ts";
import { BEST_EFFORT, carryOut, parseEvent } from "./session-actions.ts";
import { type ObjectDb, prepared, setTo } from "./sqlite.ts";

/**
 * A chat send that keeps failing retriably (the Bot API or Graph API down or hanging) is retried with backoff
 * for this long, the chat's later actions waiting behind it in order, then dropped with a warning. A count of
 * tries would drop the answers of any outage longer than a few seconds.
 */
export const SEND_RETRY_WINDOW_MS = 24 * 60 * 60_000;
const MAX_RETRY_MS = 60_000;
const NO_CHAT: ChatSettings = { helpText: "", stopClearsQueue: false };

/**
 * Hosts the pure chat-session machine inside a Session: load state → `decide` → commit the new state and
 * its actions in one transaction → carry the actions out in order, feeding results back as inputs. The
 * work is serialized per session (one chat's ordering guarantee), and everything it must not lose (intents,
 * actions) is a row until it is done, so a crash or eviction carries it out again on the next alarm.
 */
export class ChatHost {
  private queue: Promise<unknown> = Promise.resolve();
  /** When the alarm retries a failed action; until then a new message does not retry it (no spinning). */
  private retryAt: number | undefined;
  /** The stored row, checked: set once it is read or written, so it is also "the row exists". */
  private cached: { state: SessionState; source: string | null; json: string } | undefined;
  /** Committed best-effort actions waiting to be sent (never stored). */
  private readonly ephemeral: SessionAction[] = [];

  private readonly db: ObjectDb;
  private readonly storage: StoragePort;
  private readonly res: Resources;
  private readonly background: (p: Promise<unknown>) => void;

  constructor(
    db: ObjectDb,
    storage: StoragePort,
    res: Resources,
    background: (p: Promise<unknown>) => void = () => {},
  ) {
    this.db = db;
    this.storage = storage;
    this.res = res;
    this.background = background;
  }

  /**
   * Carries out recorded intents in order, one at a time. A failed action waiting for its retry stays
   * waiting (the alarm retries it; `retry` is the alarm), so a busy chat does not hammer a failing API.
   */
  drain(retry = false): Promise<void> {
    return this.serial(() => this.drainNow(retry)).catch((err) => {
      console.warn(`session work failed, retrying by alarm: ${(err as Error).message}`);
      this.retryAt = Date.now() + 1_000;
    });
  }

  /** A message from one of our runs. */
  fromRun(m: RunToSession): Promise<void> {
    return this.serial(async () => {
      const now = Date.now();
      const token = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
      const input: SessionInput =
        m.type === "runFinished"
          ? { type: "runFinished", now, runId: m.runId }
          : m.type === "approvalExpired"
            ? { type: "approvalExpired", now, runId: m.runId, stepId: m.stepId }
            : { ...m, type: "approvalRequested", now, token };
      this.step(input);
      await this.pump(false);
    });
  }

  /** The alarm: retry what failed, close a due collect window. Returns when to retry, if anything failed. */
  async wake(now: number): Promise<number | undefined> {
    await this.drain(true);
    await this.serial(async () => {
      const due = nextWakeOf(this.load().state);
      if (due !== undefined && due <= now) {
        this.step({ type: "collectWindowClosed", now });
        await this.pump();
      }
    });
    return this.retryAt;
  }

  /** The run the chat machine holds active (the one a /stop would cancel), if any. */
  activeRunId(): string | undefined {
    return this.load().state.active?.runId;
  }

  /** When the session must wake for chat work: a collect window's close or a retry. */
  nextWake(): number | undefined {
    const times = [nextWakeOf(this.load().state), this.retryAt].filter((t): t is number => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  private async drainNow(retry: boolean): Promise<void> {
    await this.pump(retry);
    for (;;) {
      const row = prepared(this.db, "session:outbox.nextIntent", (d) =>
        d.select().from(outbox).where(eq(outbox.kind, "intent")).orderBy(asc(outbox.id)).limit(1).prepare(),
      ).get();
      if (!row) return;
      const input = await this.messageInput(JSON.parse(row.payload) as IntentRow);
      this.step(input, () =>
        prepared(this.db, "session:outbox.delete", (d) =>
          d
            .delete(outbox)
            .where(eq(outbox.id, sql.placeholder("id")))
            .prepare(),
        ).run({ id: row.id }),
      );
      await this.pump(retry);
    }
  }

  /** Builds a message input: the recorded event, the source's chat settings, facts about the active run. */
  private async messageInput(row: IntentRow): Promise<SessionInput | undefined> {
    const event = parseEvent(this.eventJson(row.deliveryKey));
    if (!event) return undefined; // expired before we got to it
    const source = this.res.config.sources[event.source];
    const settings = source && source.channel !== "generic" ? source.chat : NO_CHAT;
    const { state } = this.load();
    const active = state.active
      ? await this.res.runs.getByName(state.active.runId).fromSession({ type: "progress" })
      : null;
    return {
      type: "message",
      now: Date.now(),
      deliveryKey: row.deliveryKey,
      intent: row.intent,
      message: messageRefOf(event),
      chat: { helpText: settings.helpText, stopClearsQueue: settings.stopClearsQueue },
      runId: row.runId,
      collectRunId: row.collectRunId,
      active: active && state.active ? { runId: state.active.runId, ...active } : null,
    };
  }

  /** decide, then commit the new state and its actions (and the caller's own write) in one transaction. */
  private step(input: SessionInput | undefined, alsoCommit?: () => void): void {
    const { state, source } = this.load();
    const stored = this.cached;
    const decision = input ? decide(state, input) : { state, actions: [] };
    const sourceName = input?.type === "message" ? input.message.source : source;
    const now = Date.now();
    const json = JSON.stringify(decision.state);
    this.storage.transactionSync(() => {
      const row = { id: 1, source: sourceName, state: json };
      // A row written is billed: an input that changes nothing (often a runStarted) writes nothing.
      if (json !== stored?.json || sourceName !== stored.source)
        prepared(this.db, "session:chat.upsert", (d) => {
          const placeholders = { id: 1, source: sql.placeholder("source"), state: sql.placeholder("state") };
          const set = { source: setTo("source"), state: setTo("state") };
          return d.insert(chat).values(placeholders).onConflictDoUpdate({ target: chat.id, set }).prepare();
        }).run({ source: row.source, state: row.state });
      for (const action of decision.actions) {
        // Best-effort actions (typing, read receipts, button notices) and the timer (armed from the state)
        // are not worth a row each: they go out right after the commit, and a crash simply skips them.
        if (BEST_EFFORT.has(action.type) || action.type === "setTimer") continue;
        prepared(this.db, "session:chatActions.insert", (d) =>
          d
            .insert(chatActions)
            .values({ action: sql.placeholder("action"), createdAt: sql.placeholder("now") })
            .prepare(),
        ).run({ action: JSON.stringify(action), now });
      }
      alsoCommit?.();
    });
    this.cached = { state: decision.state, source: sourceName, json };
    this.ephemeral.push(...decision.actions.filter((a) => BEST_EFFORT.has(a.type)));
  }

  /**
   * Sends the committed best-effort actions (typing, read receipts, button notices) in the background: a
   * failure is logged, never retried, and a hanging API never holds up the chat's work behind them.
   */
  private sendEphemeral(): void {
    while (this.ephemeral.length > 0) {
      const action = this.ephemeral.shift() as SessionAction;
      this.background(
        carryOut(action, this.context()).catch((err) =>
          console.warn(`session ${action.type} failed (best effort): ${(err as Error).message}`),
        ),
      );
    }
  }

  /** Carries out committed actions in order. A failed action stays, and the alarm retries it. */
  private async pump(retry = true): Promise<void> {
    if (!retry && this.retryAt !== undefined && this.retryAt > Date.now()) {
      this.sendEphemeral();
      return;
    }
    this.retryAt = undefined;
    for (;;) {
      this.sendEphemeral();
      const row = prepared(this.db, "session:chatActions.next", (d) =>
        d.select().from(chatActions).orderBy(asc(chatActions.id)).limit(1).prepare(),
      ).get();
      if (!row) return;
      const action = JSON.parse(row.action) as SessionAction;
      let feedback: SessionInput | undefined;
      try {
        feedback = await carryOut(action, this.context());
      } catch (err) {
        const e = err as { retriable?: boolean; message?: string };
        const tries = row.attempts + 1;
        const giveUp =
          BEST_EFFORT.has(action.type) ||
          e.retriable === false ||
          (isSend(action) && Date.now() - row.createdAt >= SEND_RETRY_WINDOW_MS);
        console.warn(
          `session ${action.type} failed (try ${tries}${giveUp ? ", dropped" : ""}): ${e.message}`,
        );
        if (!giveUp) {
          this.db.update(chatActions).set({ attempts: tries }).where(eq(chatActions.id, row.id)).run();
          // Jittered (up to 20% shorter), so the chats an outage hit together do not retry in lockstep.
          const backoff = Math.min(500 * 2 ** tries, MAX_RETRY_MS) * (1 - 0.2 * Math.random());
          const after = (err as { retryAfterMs?: number }).retryAfterMs ?? 0;
          this.retryAt = Date.now() + Math.max(Math.round(backoff), after);
          return;
        }
      }
      // Done, and what it taught the session, in one commit: a crash cannot lose the result (workerd would
      // coalesce these writes anyway; node:sqlite commits each statement unless told otherwise).
      const done = () =>
        prepared(this.db, "session:chatActions.delete", (d) =>
          d
            .delete(chatActions)
            .where(eq(chatActions.id, sql.placeholder("id")))
            .prepare(),
        ).run({ id: row.id });
      if (feedback) this.step(feedback, done);
      else done();
    }
  }

  private context() {
    const { source } = this.load();
    return {
      res: this.res,
      sourceName: source,
      source: source ? this.res.config.sources[source] : undefined,
      eventOf: (key: string) => parseEvent(this.eventJson(key)),
    };
  }

  /**
   * The session state, read and checked once per instance: every write goes through `step`, which keeps
   * this copy in step with the row, so later reads cost neither a query nor a parse.
   */
  private load(): { state: SessionState; source: string | null } {
    if (this.cached) return this.cached;
    const row = prepared(this.db, "session:chat.row", (d) =>
      d.select().from(chat).where(eq(chat.id, 1)).prepare(),
    ).get();
    if (!row) return { state: initialSessionState(), source: null };
    this.cached = { state: SessionState.parse(JSON.parse(row.state)), source: row.source, json: row.state };
    return this.cached;
  }

  private eventJson(deliveryKey: string): string | undefined {
    return prepared(this.db, "session:deliveries.event", (d) =>
      d
        .select({ event: deliveries.event })
        .from(deliveries)
        .where(eq(deliveries.key, sql.placeholder("key")))
        .prepare(),
    ).get({ key: deliveryKey })?.event;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}

const isSend = (a: SessionAction) => a.type === "reply" || a.type === "sendButtons";
