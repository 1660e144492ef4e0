import { workerd } from "../fixtures/workerd.ts";
import { allScenarios } from "../scenarios/all.ts";
import { useTarget } from "../scenarios/target.ts";

// The shared scenario list on workerd: the real Worker (SELF), its Durable Objects, queues and alarms.
useTarget(workerd);
allScenarios();
