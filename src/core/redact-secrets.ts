import type { HooklineConfig } from "../config/schema.ts";
import { optionalSecrets, verificationSecrets } from "../config/source-secrets.ts";
import type { Secrets } from "./secrets.ts";

/** What a secret's value is replaced with. */
export const REDACTED = "[redacted]";

/**
 * Env names whose values are secret whatever the config says: keys, tokens, passwords, connection strings.
 * A setting such as `OPENAI_BASE_URL` or `HOOKLINE_ENV` is not one, so it is never masked out of a message.
 */
const SECRET_NAME = /SECRET|TOKEN|API_KEY|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY|DATABASE_URL/;

/** Values shorter than this are not masked: replacing "1" or "test" everywhere would garble messages. */
const MIN_SECRET_LENGTH = 6;

/**
 * Every env name the config names as a secret (verification secrets, bot and access tokens, reply signing
 * keys, the admin token), whatever it is called.
 */
export function configuredSecretNames(config: HooklineConfig): string[] {
  const names = new Set<string>([config.admin.tokenEnv]);
  for (const s of Object.values(config.sources)) {
    for (const name of [...verificationSecrets(s).flat(), ...optionalSecrets(s)]) names.add(name);
  }
  return [...names];
}

/**
 * The secret values to keep out of step errors, traces, events and logs: those of the names the config
 * declares and of every env name that looks like a secret. Longest first, so a secret that contains another
 * is masked whole.
 *
 * @example
 * const values = secretValuesOf(config, env); // ["sk-live-…", "whsec_…", …]
 */
export function secretValuesOf(config: HooklineConfig, secrets: Secrets): string[] {
  const names = new Set(configuredSecretNames(config));
  for (const name of Object.keys(secrets)) if (SECRET_NAME.test(name)) names.add(name);
  const values = new Set<string>();
  for (const name of names) {
    const value = secrets[name];
    if (typeof value !== "string") continue;
    // A `whsec_` key is also used as its base64 body, and a bot token's secret half can appear alone.
    for (const form of [value, value.replace(/^whsec_/, "")]) {
      if (form.length >= MIN_SECRET_LENGTH) values.add(form);
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/**
 * `text` with every one of `values` replaced by `[redacted]`.
 *
 * @example
 * redactSecrets("bad key sk-live-123456", ["sk-live-123456"]) // "bad key [redacted]"
 */
export function redactSecrets(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (out.includes(value)) out = out.replaceAll(value, REDACTED);
  return out;
}
