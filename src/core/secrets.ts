/** Secret and setting values by env var name (wrangler secrets and vars, `.dev.vars`, or process.env). */
export type Secrets = Readonly<Record<string, string | undefined>>;

/**
 * A secret's value, or undefined when unset or empty (`.dev.vars` often holds `NAME=`).
 *
 * @example secretOf({ TOKEN: "" }, "TOKEN") // undefined
 */
export function secretOf(secrets: Secrets, name: string | undefined): string | undefined {
  const value = name ? secrets[name] : undefined;
  return typeof value === "string" && value !== "" ? value : undefined;
}
