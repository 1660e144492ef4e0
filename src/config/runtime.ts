import { bundle } from "./bundle.gen.ts";
import { ConfigError, type ConfigLayer, loadConfig } from "./load.ts";
import type { HooklineConfig } from "./schema.ts";

/** The shape `hookline bundle-config` writes to bundle.gen.ts. */
export interface ConfigBundle {
  base: ConfigLayer;
  overlays: Record<string, ConfigLayer>;
}

const cache = new Map<string, HooklineConfig>();

/**
 * The validated config for `HOOKLINE_ENV`: the bundled hookline.yaml with config/<env>.yaml merged over it.
 * Parsed once per isolate. The bundle step already validated every combination, so a throw here means the
 * bundle was edited by hand.
 */
export function configFor(envName: string | undefined, source: ConfigBundle = bundle): HooklineConfig {
  const key = envName ?? "";
  const hit = cache.get(key);
  if (hit) return hit;
  const overlay = envName ? source.overlays[envName] : undefined;
  const result = loadConfig(overlay ? [source.base, overlay] : [source.base]);
  if (!result.ok) throw new ConfigError(result.issues);
  cache.set(key, result.config);
  return result.config;
}
