import type { TestProject } from "vitest/node";
import { migrateHistory } from "../src/cli/db.ts";
import { type PgWsProxy, startPgWsProxy } from "../src/cli/pg-ws-proxy.ts";
import { closedPortUrl } from "./servers/closed-port.ts";
import { startEchoHttp } from "./servers/echo-http.ts";
import { startFakeGraph } from "./servers/fake-graph.ts";
import { startFakeOllama } from "./servers/fake-ollama.ts";
import { startFakeOpenAi } from "./servers/fake-openai.ts";
import { startFakeTelegram } from "./servers/fake-telegram.ts";
import { findOrStartPostgres } from "./servers/postgres.ts";

declare module "vitest" {
  interface ProvidedContext {
    /** Base URL (no `/v1`) of the fake OpenAI server; requests readable at `/__requests`. */
    fakeOpenAiUrl: string;
    /** Base URL of the fake Ollama server (OLLAMA_BASE_URL); `/v1` is its OpenAI-compatible API. */
    fakeOllamaUrl: string;
    /** Base URL of the echo HTTP server for `http` step tests. */
    echoHttpUrl: string;
    /** Fake Telegram Bot API root (`/bot<token>/<method>`); calls readable at `/__calls`. */
    fakeTelegramUrl: string;
    /** Fake WhatsApp Graph API base URL; calls readable at `/__calls`. */
    fakeGraphUrl: string;
    /** `http://127.0.0.1:<port>` where nothing listens, for "provider unreachable" tests. */
    closedPortUrl: string;
    /** `postgres://postgres@127.0.0.1:5432/hookline_test` (or TEST_DATABASE_URL); "" when no Postgres. */
    testDatabaseUrl: string;
    /** `127.0.0.1:PORT` of the WebSocket→TCP proxy for the Neon driver (src/cli/pg-ws-proxy.ts); "" when no Postgres. */
    pgWsProxy: string;
  }
}

/**
 * Starts the fake upstream servers once, in Node, for every test project, and finds (or starts) the test
 * Postgres with a WebSocket proxy in front of it for the Neon driver. Workerd tests get the
 * URLs through `inject(...)` and Miniflare bindings (see vitest.config.ts) and read what the
 * servers saw over HTTP, since they cannot share memory with this process.
 */
export default async function setup(project: TestProject) {
  const [openai, ollama, echo, telegram, graph, closed, postgres] = await Promise.all([
    startFakeOpenAi(),
    startFakeOllama(),
    startEchoHttp(),
    startFakeTelegram(),
    startFakeGraph(),
    closedPortUrl(),
    findOrStartPostgres().catch((error: Error) => error),
  ]);
  const servers: { close(): Promise<void> }[] = [openai, ollama, echo, telegram, graph];
  if (postgres instanceof Error) {
    // CI=true without a Postgres: fail the run, leaving nothing listening.
    await Promise.all(servers.map((server) => server.close()));
    throw postgres;
  }
  let proxy: PgWsProxy | undefined;
  if ("url" in postgres) {
    // The workerd-pg project writes history into this database: give it the tables `hookline db migrate` makes.
    await migrateHistory(postgres.url);
    proxy = await startPgWsProxy();
    servers.push(proxy);
  } else {
    console.log(
      `postgres: not reachable (${postgres.skipped}) — Neon-path tests skipped; Node history tests use PGlite`,
    );
  }
  project.provide("fakeOpenAiUrl", openai.url);
  project.provide("fakeOllamaUrl", ollama.url);
  project.provide("echoHttpUrl", echo.url);
  project.provide("fakeTelegramUrl", telegram.url);
  project.provide("fakeGraphUrl", graph.url);
  project.provide("closedPortUrl", closed);
  project.provide("testDatabaseUrl", "url" in postgres ? postgres.url : "");
  project.provide("pgWsProxy", proxy?.url ?? "");
  return async () => {
    await Promise.all(servers.map((server) => server.close()));
  };
}
