import { cloudflareTest } from "@cloudflare/vitest-plugin";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { TEST_BINDINGS } from "./test/fixtures/secrets.ts";

// Keep wrangler (used by the Workers plugin) offline and quiet: no metrics, no request.cf lookup.
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

/** drizzle-kit's durable-sqlite migrations import `.sql` files; wrangler loads them as Text, Vite needs this. */
const sqlAsText: Plugin = {
  name: "hookline-sql-as-text",
  transform(code, id) {
    if (id.endsWith(".sql")) return { code: `export default ${JSON.stringify(code)};`, map: null };
    return undefined;
  },
};

/** Pure tests (src/core, src/engine, src/session) run in both projects: Node and workerd. */
/**
 * Upper bounds, not expectations: a passing test never waits for them. They are generous because CI runs on
 * the same 2-core machine kind as development, where a loaded or slow CPU has made workerd tests that take
 * 0.3 s here take several seconds (vitest's 5 s default failed tests that were right).
 */
const patience = { testTimeout: 60_000, hookTimeout: 120_000 };
const pure = ["test/core/**/*.test.ts", "test/engine/**/*.test.ts", "test/session/**/*.test.ts"];

export default defineConfig({
  test: {
    // Fake OpenAI/Ollama/HTTP servers on 127.0.0.1 for both projects (ports reach tests via inject).
    globalSetup: ["./test/global-setup.ts"],
    // Vitest's default is one worker less than the CPUs: on a 2-core machine, one file at a time. Most of a
    // file's time is spent waiting (workerd, child processes, servers on 127.0.0.1), so two at once take the
    // suite from ~344 s to ~188 s here.
    maxWorkers: 2,
    /**
     * With `isolate: false` (the workerd project) a workerd runtime outlives the test file that started its
     * background work: an alarm or queue batch left running by one file can call into Vitest (a module resolve, a
     * console line) just as that file's RPC channel closes, which Vitest reports as `Closing rpc while "…" was
     * pending`. With a runtime per file the same work was simply killed. Only that teardown error is ignored;
     * everything else, assertion or not, fails the run.
     */
    onUnhandledError(error) {
      return !(
        error.name === "EnvironmentTeardownError" &&
        /^\[vitest-worker\]: Closing rpc while "[A-Za-z]+" was pending$/.test(error.message)
      );
    },
    projects: [
      {
        plugins: [sqlAsText],
        test: {
          name: "node",
          environment: "node",
          // One module graph per worker instead of one per file: the files import much of src/ each, and
          // re-evaluating it per file was about half of this project's time (import 54 s → 12 s; wall 114 →
          // 80 s here). Tests clean up what they change (timers, spies, dirs, servers), which this relies on.
          isolate: false,
          ...patience,
          include: [...pure, "test/node/**/*.test.ts"],
        },
      },
      {
        plugins: [
          sqlAsText,
          // A function, so the fake upstream servers started in test/global-setup.ts can be bound.
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ...TEST_BINDINGS,
                HOOKLINE_ENV: "test",
                OPENAI_BASE_URL: `${inject<string>("fakeOpenAiUrl")}/v1`,
                OPENAI_API_KEY: "sk-test-fake-openai-key",
                OLLAMA_BASE_URL: inject<string>("fakeOllamaUrl"),
                TELEGRAM_API_ROOT: inject<string>("fakeTelegramUrl"),
                WHATSAPP_GRAPH_BASE_URL: inject<string>("fakeGraphUrl"),
              },
            },
          })),
        ],
        test: {
          name: "workerd",
          // One workerd runtime and module graph per worker instead of one per file (this project's wall time
          // fell from about 150 s to 45 s here). Tests use unique chats, sources and run ids, so shared Durable
          // Object storage does not leak between files; see onUnhandledError below for what a file's leftover
          // background work can still do.
          isolate: false,
          ...patience,
          include: [...pure, "test/workers/**/*.test.ts"],
        },
      },
      {
        plugins: [
          sqlAsText,
          // The Neon driver inside workerd, through the WebSocket proxy to the local Postgres (test/global-setup.ts).
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ...TEST_BINDINGS,
                HOOKLINE_ENV: "test",
                DATABASE_URL: inject<string>("testDatabaseUrl"),
                DATABASE_WS_PROXY: inject<string>("pgWsProxy"),
              },
            },
          })),
        ],
        test: {
          name: "workerd-pg",
          ...patience,
          include: ["test/workers-pg/**/*.test.ts"],
        },
      },
    ],
  },
});
