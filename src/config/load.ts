import type { z } from "zod";
import { modelIssues } from "./model-spec.ts";
import { HooklineConfig } from "./schema.ts";

/** One parsed YAML file: where it came from and what it holds. */
export interface ConfigLayer {
  file: string;
  data: unknown;
}

/** A config problem a person can act on: the file, the path inside it, what is wrong, and how to fix it. */
export interface ConfigIssue {
  file: string;
  path: string;
  message: string;
  fix: string;
}

export type LoadResult = { ok: true; config: HooklineConfig } | { ok: false; issues: ConfigIssue[] };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Deep-merges an overlay over a base: objects merge key by key, anything else (arrays included) is replaced,
 * and `null` removes the key.
 *
 * @example mergeLayers({ a: { b: 1, c: 2 } }, { a: { c: null } }) // { a: { b: 1 } }
 */
export function mergeLayers(base: unknown, overlay: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overlay)) return overlay === undefined ? base : overlay;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete out[key];
    else out[key] = mergeLayers(base[key], value);
  }
  return out;
}

function hasPath(data: unknown, path: readonly PropertyKey[]): boolean {
  let node = data;
  for (const key of path) {
    if (!isPlainObject(node) && !Array.isArray(node)) return false;
    if (!(String(key) in node)) return false;
    node = (node as Record<string, unknown>)[String(key)];
  }
  return true;
}

/** The last layer that wrote the longest prefix of `path` is the file the user has to edit. */
function blame(layers: readonly ConfigLayer[], path: readonly PropertyKey[]): string {
  for (let len = path.length; len >= 0; len--) {
    const prefix = path.slice(0, len);
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i];
      if (layer && hasPath(layer.data, prefix)) return layer.file;
    }
  }
  return layers[0]?.file ?? "hookline.yaml";
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join("");
}

function fixFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined
        ? `add the required key \`${String(issue.path.at(-1))}\``
        : `change the value to a ${issue.expected}`;
    case "unrecognized_keys":
      return `remove or rename ${issue.keys.map((k) => `\`${k}\``).join(", ")} (check the spelling against the README's config reference)`;
    case "invalid_union":
      return "check `channel` (telegram, whatsapp or generic) and the keys that channel needs (see README)";
    case "invalid_value":
      return `use one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.message;
  }
}

/**
 * Merges the layers in order and validates the result, blaming each problem on the file that caused it.
 *
 * @example loadConfig([{ file: "hookline.yaml", data: parsedYaml }])
 */
export function loadConfig(layers: readonly ConfigLayer[]): LoadResult {
  const raw = layers.reduce<unknown>((acc, layer) => mergeLayers(acc, layer.data), {});
  // Model strings are checked before `model: default` is replaced, so a bad `defaults.model` is blamed once.
  const models: ConfigIssue[] = modelIssues(raw).map((i) => ({
    file: blame(layers, i.path),
    path: formatPath(i.path),
    message: i.message,
    fix: i.fix,
  }));
  const parsed = HooklineConfig.safeParse(withDefaultModel(raw));
  if (parsed.success && models.length === 0) return { ok: true, config: parsed.data };
  if (parsed.success) return { ok: false, issues: models };
  return {
    ok: false,
    issues: models.concat(
      parsed.error.issues.map((issue) => {
        const fix = fixFor(issue);
        return {
          file: blame(layers, issue.path),
          path: formatPath(issue.path) || "(top level)",
          // Custom checks carry their fix in the message; don't say it twice.
          message: fix === issue.message ? "invalid value" : issue.message,
          fix,
        };
      }),
    ),
  };
}

/**
 * Replaces `model: default` in every llm step (nested ones too) with `defaults.model`, so switching every
 * workflow between the offline stand-in, Ollama and a hosted model is one line (or one flag).
 *
 * @example withDefaultModel({ defaults: { model: "ollama:llama3.2" }, workflows: { w: { steps: [{ kind: "llm", model: "default" }] } } })
 */
export function withDefaultModel(data: unknown): unknown {
  if (!isPlainObject(data)) return data;
  const defaults = isPlainObject(data.defaults) ? data.defaults : {};
  const model = typeof defaults.model === "string" && defaults.model !== "" ? defaults.model : "echo";
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isPlainObject(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v);
    if (out.kind === "llm" && out.model === "default") out.model = model;
    return out;
  };
  return "workflows" in data ? { ...data, workflows: walk(data.workflows) } : data;
}

/** One line per issue, e.g. `hookline.yaml: sources.bot.channel: Invalid input → use one of: "telegram"`. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${i.file}: ${i.path}: ${i.message}\n    fix: ${i.fix}`).join("\n");
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`invalid Hookline config:\n${formatIssues(issues)}`);
    this.issues = issues;
    this.name = "ConfigError";
  }
}
