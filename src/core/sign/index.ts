/** The signer registry, mirroring `verifiers`: `signers[scheme]({ rawBody, secret, now })` → headers. */

import type { Scheme } from "../verify/types.ts";
import { signGithub } from "./github.ts";
import { signMeta } from "./meta.ts";
import { signStandardWebhooks } from "./standard-webhooks.ts";
import { signStripe } from "./stripe.ts";
import { signTelegram } from "./telegram.ts";
import type { Signer } from "./types.ts";

export { signGithub } from "./github.ts";
export { signMeta } from "./meta.ts";
export { signStandardWebhooks } from "./standard-webhooks.ts";
export { signStripe } from "./stripe.ts";
export { signTelegram } from "./telegram.ts";
export type { Signer, SignInput } from "./types.ts";

/**
 * Every scheme's signer by name.
 *
 * @example const headers = await signers.stripe({ rawBody: new TextEncoder().encode("{}"), secret, now: Date.now() });
 */
export const signers: Record<Scheme, Signer> = {
  telegram: signTelegram,
  meta: signMeta,
  "standard-webhooks": signStandardWebhooks,
  github: signGithub,
  stripe: signStripe,
};
