/** The verifier registry: a handler picks a scheme from config and calls `verifiers[scheme](input)`. */

import { verifyGithub } from "./github.ts";
import { verifyMetaSignature } from "./meta.ts";
import { verifyStandardWebhooks } from "./standard-webhooks.ts";
import { verifyStripe } from "./stripe.ts";
import { verifyTelegram } from "./telegram.ts";
import type { Scheme, Verifier } from "./types.ts";

export { verifyGithub } from "./github.ts";
export type { MetaHandshakeInput, MetaHandshakeResult } from "./meta.ts";
export { checkMetaHandshake, verifyMetaSignature } from "./meta.ts";
export { verifyStandardWebhooks } from "./standard-webhooks.ts";
export { verifyStripe } from "./stripe.ts";
export { verifyTelegram } from "./telegram.ts";
export type { Scheme, Secret, Verifier, VerifyInput, VerifyReason, VerifyResult } from "./types.ts";

/**
 * Every scheme's verifier by name.
 *
 * @example const result = await verifiers[source.scheme]({ rawBody, headers, secrets, now: Date.now() });
 */
export const verifiers: Record<Scheme, Verifier> = {
  telegram: verifyTelegram,
  meta: verifyMetaSignature,
  "standard-webhooks": verifyStandardWebhooks,
  github: verifyGithub,
  stripe: verifyStripe,
};

/** The scheme names, for config validation (e.g. `z.enum(schemes)`). */
export const schemes = [
  "telegram",
  "meta",
  "standard-webhooks",
  "github",
  "stripe",
] as const satisfies readonly Scheme[];
