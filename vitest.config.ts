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

/** Pure tests (src/core, src/engine) run in both projects: Node and workerd. */
const pure = ["test/core/**/*.test.ts", "test/engine/**/*.test.ts"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: [...pure, "test/node/**/*.test.ts"],
        },
      },
      {
        plugins: [
          sqlAsText,
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...TEST_BINDINGS, HOOKLINE_ENV: "test" } },
          }),
        ],
        test: {
          name: "workerd",
          include: [...pure, "test/workers/**/*.test.ts"],
        },
      },
    ],
  },
});
