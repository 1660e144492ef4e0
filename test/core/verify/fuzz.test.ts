/**
 * Forged and mutated deliveries against every verifier (test/core/verify/fuzz-cases.ts): body bit flips,
 * header case and whitespace variants, truncated, duplicated and reordered signatures, the wrong secret,
 * timestamps just outside the window, empty and huge headers. None may be accepted, and every control (the
 * same cosmetic variants on a genuine delivery) must be, so the run cannot pass by refusing everything.
 * `npm run faults` runs 100,000 per scheme (faults/fuzz-verifiers.ts).
 */

import { describe, expect, it } from "vitest";
import { FUZZ_SCHEMES, forgingFor, fuzzScheme } from "./fuzz-cases.ts";

const FORGED = 2_000;
const CONTROLS = 200;

describe.each(FUZZ_SCHEMES)("%s fuzz", (scheme) => {
  it(`accepts none of ${FORGED} forged deliveries and all of ${CONTROLS} genuine variants`, async () => {
    const report = await fuzzScheme(scheme, { forged: FORGED, controls: CONTROLS, hugeMaxBytes: 8_192 });
    expect(report.counterexample).toBeUndefined();
    expect({ forged: report.forged, accepted: report.forgedAccepted }).toEqual({
      forged: FORGED,
      accepted: 0,
    });
    expect({ controls: report.controls, refused: report.controlsRefused }).toEqual({
      controls: CONTROLS,
      refused: 0,
    });
    // Every forging mutation that means something for the scheme was tried.
    expect(Object.keys(report.byMutation).sort()).toEqual([...forgingFor(scheme)].sort());
  }, 60_000);
});
