import { readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Lets plain Node import what wrangler's bundler imports: drizzle-kit's durable-sqlite migrations are
 * `migrations.js` files that import `.sql` files (as text) and `meta/_journal.json` (without an import
 * attribute). Registering these two loaders lets the objects import their migrations the same way on
 * both runtimes, instead of a second, Node-only migration path.
 */
export function registerMigrationLoaders(): void {
  registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith("file:") && url.endsWith(".sql")) {
        const text = readFileSync(fileURLToPath(url), "utf8");
        return { format: "module", source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
      }
      if (url.startsWith("file:") && url.endsWith(".json") && url.includes("/migrations/")) {
        const json = readFileSync(fileURLToPath(url), "utf8");
        return { format: "module", source: `export default ${json};`, shortCircuit: true };
      }
      return nextLoad(url, context);
    },
  });
}
