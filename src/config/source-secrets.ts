import type { Source } from "./schema.ts";

/** The env vars a source cannot verify deliveries without: one list per secret, any one name in it will do. */
export function verificationSecrets(s: Source): string[][] {
  return s.channel === "whatsapp" ? [s.appSecretEnv, s.verifyTokenEnv] : [s.secretEnv];
}

/** Secrets a source works without, but answers less (replies only in traces, unsigned callbacks refused). */
export function optionalSecrets(s: Source): string[] {
  if (s.channel === "telegram") return s.botTokenEnv ? [s.botTokenEnv] : [];
  if (s.channel === "whatsapp") return s.accessTokenEnv ? [s.accessTokenEnv] : [];
  return s.reply ? [s.reply.secretEnv] : [];
}
