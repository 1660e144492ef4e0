import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { ConfigIssue, ConfigLayer } from "../config/load.ts";

export const BASE_FILE = "hookline.yaml";
export const OVERLAY_DIR = "config";

export type ReadResult = { ok: true; layer: ConfigLayer } | { ok: false; issues: ConfigIssue[] };

/** Reads one YAML file; syntax errors come back with their line and column. */
export function readLayer(root: string, file: string): ReadResult {
  const path = join(root, file);
  if (!existsSync(path)) {
    return {
      ok: false,
      issues: [
        { file, path: "(file)", message: "file not found", fix: `create ${file} (see README: Config)` },
      ],
    };
  }
  const doc = parseDocument(readFileSync(path, "utf8"), { prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({
        file,
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "(yaml)",
        message: e.message.split("\n")[0] ?? e.code,
        fix: "fix the YAML syntax (indentation, a missing colon or an unclosed quote)",
      })),
    };
  }
  return { ok: true, layer: { file, data: doc.toJS() ?? {} } };
}

/** Overlay names found in config/, e.g. ["production", "test"]. */
export function overlayNames(root: string): string[] {
  const dir = join(root, OVERLAY_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

export const overlayFile = (name: string) => `${OVERLAY_DIR}/${name}.yaml`;
