import { inject } from "vitest";
import "../fixtures/workerd.ts";
import { historyScenarios } from "../scenarios/history.ts";

// The shared history scenarios on workerd with DATABASE_URL set: the EVENTS consumer and the readers use
// the real Neon driver over WebSocket (through the proxy from test/global-setup.ts) to the test Postgres.
// Skipped, with one line from global setup, where no Postgres is reachable (never under CI=true).
historyScenarios({ skip: !inject("testDatabaseUrl") });
