/**
 * The small ports a runtime-neutral object needs from its host. Workers pass `ctx` (DurableObjectState
 * satisfies `ObjectState`) and bindings; the Node adapter (src/node/) implements the same shapes over
 * node:sqlite and its own persisted queues. Nothing here imports a runtime.
 */

/** A cursor over one statement's rows: the subset of workerd's `SqlStorageCursor` that we and drizzle use. */
export interface SqlCursor<T> extends Iterable<T> {
  toArray(): T[];
  one(): T;
  next(): IteratorResult<T>;
  /** Rows as arrays. An iterator (drizzle calls the Iterator helper `.toArray()` on it, as V8 provides). */
  raw(): IterableIterator<SqlValue[]>;
  readonly columnNames: string[];
  readonly rowsRead: number;
  readonly rowsWritten: number;
}

/** `ctx.storage.sql`: synchronous SQLite. Values are null, number, string or ArrayBuffer. */
export interface SqlPort {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: unknown[]): SqlCursor<T>;
}
export type SqlValue = null | number | string | ArrayBuffer;

/**
 * One object's durable storage: synchronous SQL, synchronous transactions (nested calls become savepoints;
 * a throw rolls back and rethrows) and one alarm. This is the part of `DurableObjectStorage` that
 * drizzle's durable-sqlite driver and our stores use.
 */
export interface StoragePort {
  readonly sql: SqlPort;
  transactionSync<T>(fn: () => T): T;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number | Date): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/**
 * What an object's host gives it: storage, background work that must finish before the object may be
 * evicted, and a gate that holds every call until initialization is done (workerd's input gate at
 * construction).
 */
export interface ObjectState {
  readonly storage: StoragePort;
  waitUntil(promise: Promise<unknown>): void;
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
}

/** A queue producer: the subset of a Workers `Queue` binding we use. Returns once the message is durable. */
export interface QueuePort {
  send(body: unknown, options?: { contentType?: "json"; delaySeconds?: number }): Promise<unknown>;
  sendBatch(
    messages: Iterable<{ body: unknown; contentType?: "json"; delaySeconds?: number }>,
    options?: { delaySeconds?: number },
  ): Promise<unknown>;
}

/** One delivered message, as a consumer sees it (the subset of a Workers `Message` we use). */
export interface QueueMessage<B = unknown> {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: B;
  /** 1 on the first delivery. */
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** A batch handed to a consumer (the subset of a Workers `MessageBatch` we use). */
export interface QueueBatch<B = unknown> {
  readonly queue: string;
  readonly messages: readonly QueueMessage<B>[];
  ackAll(): void;
  retryAll(options?: { delaySeconds?: number }): void;
}

/** Finds an object by name, as `namespace.getByName(name)` does: the stub's methods are the object's RPC. */
export interface ObjectLookup<T> {
  getByName(name: string): T;
}
