// docs/api.md from the route table (src/handlers/api-routes.ts), formatted as `npm run format` formats Markdown.
// `npm run docs:api` writes it; test/node/openapi.test.ts fails when the file and the table differ.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { apiMarkdown } from "../src/handlers/openapi.ts";

const root = resolve(import.meta.dirname, "..");
export const API_DOC = resolve(root, "docs/api.md");

/** The generated page, run through biome's Markdown formatter (stdin in, formatted text out). */
export function apiDoc(): string {
  const biome = resolve(root, "node_modules/.bin/biome");
  const result = spawnSync(biome, ["format", "--stdin-file-path=docs/api.md"], {
    cwd: root,
    input: apiMarkdown(),
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}

if (import.meta.filename === process.argv[1]) {
  writeFileSync(API_DOC, apiDoc());
  console.error(`wrote ${API_DOC}`);
}
