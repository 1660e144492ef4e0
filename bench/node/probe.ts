/**
 * The `probe` server of `npm run bench:node` (bench/node/server.ts): what the Node platform itself costs, for the
 * engine and /stop measures to be read against, measured in the same run on the same Node.
 *
 * - `POST /queue-hop?n=50&commits=0|2`: a chain of n messages through a persisted queue of the Node adapter
 *   (src/node/queue.ts, its own SQLite file): each handler sends the next message. With `commits=2` each handler
 *   also makes two durable commits (WAL, synchronous=FULL), as a run records an attempt started and finished.
 *   Answers `{ hops, totalMs }`: per hop, the previous handler's last commit → the next handler's start.
 * - `POST /stream/:id`: opens a streaming completion at the fake OpenAI (`slow-200`, global fetch, as the llm
 *   step does) and answers once its headers arrived; the body is read in the background.
 * - `POST /abort/:id`: aborts that stream's AbortController and answers.
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Hono } from "hono";
import { createQueues } from "../../src/node/queue.ts";

const QUEUE = "bench-probe-hop";

export async function probe(
  dataDir: string,
  closers: (() => Promise<void> | void)[],
  openAiBaseUrl?: string,
): Promise<(request: Request) => Response | Promise<Response>> {
  const queues = createQueues(join(dataDir, "probe-queues.sqlite"), [
    { name: QUEUE, maxBatchSize: 10, maxBatchTimeoutMs: 0, maxRetries: 3 },
  ]);
  const db = new DatabaseSync(join(dataDir, "probe-run.sqlite"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
  db.exec("CREATE TABLE attempts (chain INTEGER, i INTEGER, what TEXT, at REAL)");
  const insert = db.prepare("INSERT INTO attempts (chain, i, what, at) VALUES (?, ?, ?, ?)");
  closers.push(async () => {
    await queues.close();
    db.close();
  });

  interface Chain {
    n: number;
    commits: boolean;
    starts: number[];
    finishes: number[];
    done: () => void;
  }
  const chains = new Map<number, Chain>();
  let nextChain = 1;
  const producer = queues.producer(QUEUE);
  queues.consume(QUEUE, async (batch) => {
    for (const m of batch.messages) {
      const { chain: id, i } = m.body as { chain: number; i: number };
      const c = chains.get(id);
      if (!c) continue;
      c.starts[i] = performance.now();
      if (c.commits) insert.run(id, i, "started", Date.now());
      if (c.commits) insert.run(id, i, "finished", Date.now());
      c.finishes[i] = performance.now();
      if (i + 1 < c.n) await producer.send({ chain: id, i: i + 1 });
      else c.done();
    }
  });

  const streams = new Map<string, AbortController>();
  const app = new Hono()
    .post("/queue-hop", async (c) => {
      const n = Number(c.req.query("n") ?? 50);
      const id = nextChain++;
      const started = performance.now();
      const chain: Chain = {
        n,
        commits: c.req.query("commits") === "2",
        starts: [],
        finishes: [],
        done: () => {},
      };
      const finished = new Promise<void>((ok) => {
        chain.done = ok;
      });
      chains.set(id, chain);
      await producer.send({ chain: id, i: 0 });
      await finished;
      chains.delete(id);
      const hops = chain.starts.slice(1).map((s, i) => s - (chain.finishes[i] as number));
      return c.json({ hops, totalMs: performance.now() - started });
    })
    .post("/stream/:id", async (c) => {
      const ctrl = new AbortController();
      const id = c.req.param("id");
      streams.set(id, ctrl);
      const res = await fetch(`${openAiBaseUrl}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer sk-bench" },
        body: JSON.stringify({
          model: "slow-200",
          stream: true,
          messages: [{ role: "user", content: `baseline ${id}` }],
        }),
        signal: ctrl.signal,
      });
      // Drain in the background, as a streaming client does, until the end or the abort.
      const reader = res.body?.getReader();
      void (async () => {
        try {
          while (reader && !(await reader.read()).done) {}
        } catch {
          // aborted
        }
      })();
      return c.json({ status: res.status });
    })
    .post("/abort/:id", (c) => {
      const ctrl = streams.get(c.req.param("id"));
      streams.delete(c.req.param("id"));
      ctrl?.abort();
      return c.json({ aborted: Boolean(ctrl) });
    });
  return app.fetch;
}
