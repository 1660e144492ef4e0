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
import { spawn } from "node:child_process";
import { setPriority } from "node:os";
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

/**
 * One child process per scheme, one at a time, at a lower CPU priority: the fuzz is pure CPU, and the harness
 * runs it beside scenarios whose fake servers and senders live in the harness's own event loop.
 */
function fuzzInChild(scheme: string, o: FuzzVerifiersOptions): Promise<FuzzReport> {
  return new Promise((resolve, reject) => {
    const args = [import.meta.filename, "--child", scheme, String(o.perScheme), String(o.controls)];
    if (o.seed !== undefined) args.push(String(o.seed));
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    if (child.pid) setPriority(child.pid, 10);
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      try {
        if (code !== 0) throw new Error(`fuzz child for ${scheme} exited ${code}`);
        resolve(JSON.parse(out) as FuzzReport);
      } catch (err) {
        reject(err);
      }
    });
  });
}

export async function fuzzVerifiers(o: FuzzVerifiersOptions): Promise<FuzzVerifiersResult> {
  const reports: FuzzReport[] = [];
  for (const scheme of FUZZ_SCHEMES) {
    o.log(`fuzz-verifiers: ${scheme}, ${o.perScheme} forged + ${o.controls} genuine deliveries`);
    const report = await fuzzInChild(scheme, o);
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

// `node faults/fuzz-verifiers.ts --child <scheme> <forged> <controls> [seed]`: one scheme, its report as JSON.
// Only when this file is the script (a scenario runner that imports it may have its own flags).
if (process.argv[1] === import.meta.filename && process.argv[2] === "--child") {
  const [scheme, forged, controls, seed] = process.argv.slice(3);
  const report = await fuzzScheme(scheme as (typeof FUZZ_SCHEMES)[number], {
    forged: Number(forged),
    controls: Number(controls),
    seed: seed === undefined ? undefined : Number(seed),
  });
  process.stdout.write(JSON.stringify(report));
}
