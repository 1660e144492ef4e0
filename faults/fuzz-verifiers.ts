/**
 * Scenario: forged and mutated deliveries against every verifier, 100,000 per scheme (telegram secret token,
 * Meta/WhatsApp and GitHub X-Hub-Signature-256, Standard Webhooks with a key rotation, Stripe). The cases
 * come from test/core/verify/fuzz-cases.ts, the same model `npm test` runs 2,000 per scheme of: body bit
 * flips and resizes, the wrong secret, truncated, recased, split, duplicated-and-corrupted and misplaced
 * signatures, timestamps just (and far) outside the window, rewritten timestamps and ids, empty, missing and
 * huge (up to 64 KB) headers, each over cosmetic variants (header-name case, surrounding whitespace, hex
 * case, extra, repeated and reordered list entries, svix-* names, either key of a rotation). Passes when no
 * forged delivery is accepted and every genuine control is.
 */
import { FUZZ_SCHEMES, type FuzzReport, fuzzScheme } from "../test/core/verify/fuzz-cases.ts";

export interface FuzzVerifiersOptions {
  perScheme: number;
  controls: number;
  seed?: number;
  log: (m: string) => void;
}

export interface FuzzVerifiersResult {
  reports: FuzzReport[];
  pass: boolean;
}

export async function fuzzVerifiers(o: FuzzVerifiersOptions): Promise<FuzzVerifiersResult> {
  const reports: FuzzReport[] = [];
  for (const scheme of FUZZ_SCHEMES) {
    o.log(`fuzz-verifiers: ${scheme}, ${o.perScheme} forged + ${o.controls} genuine deliveries`);
    const report = await fuzzScheme(scheme, { forged: o.perScheme, controls: o.controls, seed: o.seed });
    reports.push(report);
    if (report.counterexample) o.log(`fuzz-verifiers: ${scheme} FAILED on ${report.counterexample}`);
  }
  const pass = reports.every(
    (r) => r.forged === o.perScheme && r.forgedAccepted === 0 && r.controlsRefused === 0 && !r.counterexample,
  );
  return { reports, pass };
}

/** One row per scheme: forged sent / accepted, controls / refused, the refusal reasons, time. */
export function fuzzVerifiersSummary(r: FuzzVerifiersResult): string[][] {
  return r.reports.map((s) => [
    s.scheme,
    `${s.forged} forged, ${s.forgedAccepted} accepted; ${s.controls} genuine, ${s.controlsRefused} refused; ` +
      `${Object.entries(s.reasons)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}; ${(s.ms / 1000).toFixed(1)} s`,
  ]);
}
