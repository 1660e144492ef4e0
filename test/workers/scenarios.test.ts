import { SELF } from "cloudflare:test";
import { BASE_URL } from "../fixtures/secrets.ts";
import { allScenarios } from "../scenarios/all.ts";
import { useTarget } from "../scenarios/target.ts";

// The shared scenario list on workerd: the real Worker (SELF), its Durable Objects, queues and alarms.
useTarget({ runtime: "workerd", baseUrl: BASE_URL, fetch: (request) => SELF.fetch(request) });
allScenarios();
