import { afterAll, beforeAll } from "vitest";
import { type NodeServer, startNodeServer } from "../fixtures/node-server.ts";
import { allScenarios } from "../scenarios/all.ts";
import { useTarget } from "../scenarios/target.ts";

// The shared scenario list on Node: the real Node server (src/node/) on 127.0.0.1, with its SQLite
// objects and persisted queues, the same config overlay and the same fake upstreams as workerd.
let node: NodeServer | undefined;

beforeAll(async () => {
  node = await startNodeServer({ name: "scenarios" });
});

afterAll(async () => {
  await node?.close();
});

useTarget({
  runtime: "node",
  get baseUrl() {
    return node?.baseUrl ?? "";
  },
  fetch: (request) => fetch(request),
});
allScenarios();
