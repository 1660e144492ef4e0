import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, inject } from "vitest";
import { loadFromDisk } from "../../src/cli/load.ts";
import { createNodeHookline, type NodeHookline } from "../../src/node/hookline.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { allScenarios } from "../scenarios/all.ts";
import { useTarget } from "../scenarios/target.ts";

// The shared scenario list on Node: the real Node server (src/node/) on 127.0.0.1, with its SQLite
// objects and persisted queues, the same config overlay and the same fake upstreams as workerd.
let hookline: NodeHookline;
let server: ReturnType<typeof serve>;
let dataDir: string;
let baseUrl = "";

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hookline-scenarios-"));
  hookline = createNodeHookline({
    config: loadFromDisk(process.cwd(), "test"),
    secrets: {
      ...TEST_BINDINGS,
      HOOKLINE_ENV: "test",
      OPENAI_BASE_URL: `${inject("fakeOpenAiUrl")}/v1`,
      OLLAMA_BASE_URL: inject("fakeOllamaUrl"),
      TELEGRAM_API_ROOT: inject("fakeTelegramUrl"),
      WHATSAPP_GRAPH_BASE_URL: inject("fakeGraphUrl"),
    },
    dataDir,
  });
  hookline.start();
  server = serve({ fetch: hookline.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((ok) => server.once("listening", () => ok()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  await hookline.close();
  rmSync(dataDir, { recursive: true, force: true });
});

useTarget({
  runtime: "node",
  get baseUrl() {
    return baseUrl;
  },
  fetch: (request) => fetch(request),
});
allScenarios();
