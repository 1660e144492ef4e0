import { randomUUID } from "node:crypto";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { deserialize, serialize } from "node:v8";
import { openSqlite } from "./sqlite-storage.ts";

/** A message as stored; `attempts` counts deliveries so far. */
export interface StoredMessage {
  seq: number;
  id: string;
  body: unknown;
  enqueuedAt: number;
  attempts: number;
}

/** What happens to one delivered message once its batch is done (`dead` with no `to`: dropped). */
export type Outcome = { seq: number; id: string } & (
  | { action: "ack" }
  | { action: "retry"; delayMs: number }
  | { action: "dead"; to: string | undefined }
);

/**
 * The SQLite side of the queues: one table for every queue. A message is available when its `visible_at`
 * has passed and it holds no live lease; delivering it takes a lease (`leased_at`), renewed while its
 * handler runs. The lease's length is the reader's setting, so a restarted process with a short lease
 * redelivers the messages a crashed one held. Bodies are v8-serialized, like Workers Queues' default.
 *
 * @example
 * const store = new QueueStore("/var/lib/hookline/queues.sqlite");
 * store.insert("hookline-steps", [{ body: { runId: "r1" }, delayMs: 0 }]);
 */
export class QueueStore {
  private readonly db: DatabaseSync;
  private readonly stmts: Record<
    "insert" | "available" | "select" | "lease" | "remove" | "later" | "move" | "next",
    StatementSync
  >;

  constructor(path: string) {
    this.db = openSqlite(path);
    this.db.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL,
      queue TEXT NOT NULL,
      body BLOB NOT NULL,
      enqueued_at INTEGER NOT NULL,
      visible_at INTEGER NOT NULL,
      leased_at INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS messages_due ON messages (queue, visible_at);`);
    const due = "queue = ? AND visible_at <= ? AND (leased_at IS NULL OR leased_at <= ?)";
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      insert: p("INSERT INTO messages (id, queue, body, enqueued_at, visible_at) VALUES (?, ?, ?, ?, ?)"),
      available: p(
        `SELECT count(*) AS n, min(visible_at) AS first FROM (SELECT visible_at FROM messages WHERE ${due} LIMIT ?)`,
      ),
      select: p(
        `SELECT seq, id, body, enqueued_at, attempts FROM messages WHERE ${due} ORDER BY visible_at, seq LIMIT ?`,
      ),
      lease: p("UPDATE messages SET leased_at = ?, attempts = attempts + ? WHERE seq = ?"),
      remove: p("DELETE FROM messages WHERE seq = ?"),
      later: p("UPDATE messages SET visible_at = ?, leased_at = NULL WHERE seq = ?"),
      move: p("UPDATE messages SET queue = ?, visible_at = ?, leased_at = NULL, attempts = 0 WHERE seq = ?"),
      next: p("SELECT min(max(visible_at, coalesce(leased_at + ?, 0))) AS at FROM messages WHERE queue = ?"),
    };
  }

  /** Inserts messages in one transaction; durable when it returns (synchronous=FULL). */
  insert(queue: string, messages: { body: unknown; delayMs: number }[]): void {
    const now = Date.now();
    this.tx(() => {
      for (const m of messages) {
        this.stmts.insert.run(
          randomUUID().replaceAll("-", ""),
          queue,
          serialize(m.body),
          now,
          now + m.delayMs,
        );
      }
    });
  }

  /** How many messages are deliverable now (at most `limit`), and since when the oldest one has been. */
  available(queue: string, leaseMs: number, limit: number): { n: number; first: number | null } {
    const now = Date.now();
    return this.stmts.available.get(queue, now, now - leaseMs, limit) as { n: number; first: number | null };
  }

  /**
   * Leases up to `limit` deliverable messages, counting the delivery. A message already delivered more than
   * `maxRetries + 1` times (its last delivery crashed) goes to `deadLetter` instead, or is dropped. A
   * message still running here (`running`) whose lease lapsed anyway (the event loop stalled past the
   * renewal) gets its lease renewed instead of a second concurrent delivery.
   */
  claim(
    queue: string,
    opts: {
      leaseMs: number;
      limit: number;
      maxRetries: number;
      deadLetter?: string | undefined;
      running: { has(seq: number): boolean };
    },
  ): { messages: StoredMessage[]; deadLettered: number } {
    const now = Date.now();
    return this.tx(() => {
      const rows = this.stmts.select.all(queue, now, now - opts.leaseMs, opts.limit) as {
        seq: number;
        id: string;
        body: Uint8Array;
        enqueued_at: number;
        attempts: number;
      }[];
      const out: StoredMessage[] = [];
      let deadLettered = 0;
      for (const r of rows) {
        if (opts.running.has(r.seq)) {
          this.stmts.lease.run(now, 0, r.seq);
          continue;
        }
        if (r.attempts > opts.maxRetries) {
          this.deadLetter(r.seq, r.id, queue, opts.deadLetter, now);
          deadLettered++;
          continue;
        }
        let body: unknown;
        try {
          body = deserialize(r.body);
        } catch (err) {
          // Redelivering cannot fix an unreadable body; keep it from blocking every later claim.
          this.stmts.remove.run(r.seq);
          console.error(
            `queue ${queue}: message ${r.id} dropped, unreadable body: ${(err as Error).message}`,
          );
          continue;
        }
        this.stmts.lease.run(now, 1, r.seq);
        out.push({ seq: r.seq, id: r.id, body, enqueuedAt: r.enqueued_at, attempts: r.attempts + 1 });
      }
      return { messages: out, deadLettered };
    });
  }

  /** Extends the leases of messages whose handlers are still running. */
  renew(seqs: Iterable<number>): void {
    const now = Date.now();
    this.tx(() => {
      for (const seq of seqs) this.stmts.lease.run(now, 0, seq);
    });
  }

  /** Applies a finished batch's outcomes in one transaction. */
  settle(queue: string, outcomes: Outcome[]): void {
    const now = Date.now();
    this.tx(() => {
      for (const o of outcomes) {
        if (o.action === "ack") this.stmts.remove.run(o.seq);
        else if (o.action === "retry") this.stmts.later.run(now + o.delayMs, o.seq);
        else this.deadLetter(o.seq, o.id, queue, o.to, now);
      }
    });
  }

  /** When the next message of `queue` may become deliverable (delay, retry or lease end), if any. */
  nextAt(queue: string, leaseMs: number): number | null {
    return (this.stmts.next.get(leaseMs, queue) as { at: number | null }).at;
  }

  close(): void {
    this.db.close();
  }

  private deadLetter(seq: number, id: string, queue: string, target: string | undefined, now: number): void {
    if (target) {
      this.stmts.move.run(target, now, seq);
    } else {
      this.stmts.remove.run(seq);
      console.warn(`queue ${queue}: message ${id} dropped after its last retry (no dead-letter queue)`);
    }
  }

  private tx<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw err;
    }
  }
}
