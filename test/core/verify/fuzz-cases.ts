/**
 * Forged and mutated deliveries for every verifier, shared by `npm test` (test/core/verify/fuzz.test.ts, a
 * few thousand per scheme) and `npm run faults` (faults/fuzz-verifiers.ts, 100,000 per scheme). Pure: no
 * runtime imports, so it runs in both vitest projects.
 *
 * A case starts from a delivery the scheme's own signer made with a configured secret, then applies
 * cosmetic changes (things the scheme defines as equivalent: header-name case, surrounding whitespace, hex
 * case, extra or reordered or repeated entries in a signature list, svix-* names, the other key of a
 * rotation) and, for a forged case, at least one forging mutation (something the signature covers or that
 * makes the signature unusable). A forged case must be refused; a cosmetic-only case (the control) must be
 * accepted, so the fuzz cannot pass by refusing everything.
 */

import fc from "fast-check";
import { signers } from "../../../src/core/sign/index.ts";
import { type Scheme, type Secret, verifiers } from "../../../src/core/verify/index.ts";

export const FUZZ_SCHEMES = ["telegram", "meta", "standard-webhooks", "github", "stripe"] as const;
export const NOW = 1_700_000_000_000;
const TOLERANCE_S = 300;

/** Two configured keys per scheme (a rotation) and the shape a wrong key takes. */
const KEYS: Record<Scheme, [string, string]> = {
  telegram: ["tg-fuzz-secret-token-QW9pZ2h0", "tg-fuzz-secret-token-old-77a1"],
  meta: ["wa-fuzz-app-secret-5b1e0c7d9a", "wa-fuzz-app-secret-old-0d0e"],
  "standard-webhooks": [
    "whsec_bmV3LXJvdGF0aW5nLXNlY3JldC0xMjM0NTY=",
    "whsec_b2xkLXJvdGF0aW5nLXNlY3JldC02NTQzMjE=",
  ],
  github: ["gh-fuzz-webhook-secret-8d2f", "gh-fuzz-webhook-secret-old-19"],
  stripe: ["whsec_stripe_fuzz_5d41402abc4b2a76", "whsec_stripe_fuzz_old_0b7e1"],
};

/** Every configured secret value, for the "no secret in any output" scans. */
export const FUZZ_SECRET_VALUES: readonly string[] = Object.values(KEYS).flat();

const SIG_HEADER: Record<Scheme, string> = {
  telegram: "X-Telegram-Bot-Api-Secret-Token",
  meta: "X-Hub-Signature-256",
  github: "X-Hub-Signature-256",
  stripe: "Stripe-Signature",
  "standard-webhooks": "webhook-signature",
};

export const FORGING = [
  "body-bit-flip",
  "body-resize",
  "wrong-secret",
  "mac-truncate",
  "mac-char",
  "mac-case",
  "mac-inner-space",
  "mac-duplicated-corrupt",
  "mac-misplaced",
  "stale-timestamp",
  "timestamp-edit",
  "id-edit",
  "header-empty",
  "header-missing",
  "header-huge",
] as const;
export type Forging = (typeof FORGING)[number];

export const COSMETIC = [
  "name-case",
  "value-whitespace",
  "hex-upper",
  "list-extra",
  "svix-names",
  "rotation",
  "window-jitter",
  "noise-headers",
  "telegram-body",
] as const;
export type Cosmetic = (typeof COSMETIC)[number];

const TIMESTAMPED = new Set<Scheme>(["stripe", "standard-webhooks"]);
const BODY_SIGNED = new Set<Scheme>(["meta", "github", "stripe", "standard-webhooks"]);

/** Which forging mutations mean something for a scheme (telegram signs no body and no timestamp). */
export function forgingFor(scheme: Scheme): Forging[] {
  return FORGING.filter((f) => {
    if (f.startsWith("body-")) return BODY_SIGNED.has(scheme);
    if (f === "stale-timestamp" || f === "timestamp-edit") return TIMESTAMPED.has(scheme);
    if (f === "id-edit") return scheme === "standard-webhooks";
    return true;
  });
}

function cosmeticFor(scheme: Scheme): Cosmetic[] {
  return COSMETIC.filter((c) => {
    if (c === "hex-upper") return scheme === "meta" || scheme === "github" || scheme === "stripe";
    if (c === "list-extra") return scheme === "stripe" || scheme === "standard-webhooks";
    if (c === "svix-names") return scheme === "standard-webhooks";
    if (c === "window-jitter") return TIMESTAMPED.has(scheme);
    if (c === "telegram-body") return scheme === "telegram";
    return true;
  });
}

/** fast-check picks numbers; each mutation reads what it needs from them. */
interface Knobs {
  a: number;
  b: number;
  c: number;
}
const knobs = fc.record({ a: fc.nat(), b: fc.nat(), c: fc.nat() });

export interface FuzzCase {
  body: Uint8Array;
  signWithSecond: boolean;
  forging: { kind: Forging; k: Knobs }[];
  cosmetic: { kind: Cosmetic; k: Knobs }[];
}

/** Forged cases (≥ 1 forging mutation, any cosmetic ones) or, with `forged: false`, controls. */
export function caseArbitrary(scheme: Scheme, forged: boolean): fc.Arbitrary<FuzzCase> {
  const forging = forgingFor(scheme);
  const cosmetic = cosmeticFor(scheme);
  return fc.record({
    body: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.json({ maxDepth: 3 }).map((j) => new TextEncoder().encode(j)),
    ),
    signWithSecond: fc.boolean(),
    forging: forged
      ? fc.uniqueArray(fc.record({ kind: fc.constantFrom(...forging), k: knobs }), {
          minLength: 1,
          maxLength: 2,
          selector: (m) => m.kind,
        })
      : fc.constant([]),
    cosmetic: fc.uniqueArray(fc.record({ kind: fc.constantFrom(...cosmetic), k: knobs }), {
      maxLength: 3,
      selector: (m) => m.kind,
    }),
  });
}

/** A delivery as the verifier sees it: ordered header lines (names as sent), the body, the clock. */
export interface Delivery {
  body: Uint8Array;
  headers: [string, string][];
  secrets: Secret[];
  now: number;
}

const HEX = "0123456789abcdef";
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/** A different character of the same alphabet (hex compared without case, as the verifiers do). */
function otherChar(scheme: Scheme, ch: string, pick: number): string {
  const alphabet = scheme === "standard-webhooks" ? B64 : scheme === "telegram" ? TOKEN : HEX;
  const base = alphabet === HEX ? ch.toLowerCase() : ch;
  const i = alphabet.indexOf(base);
  return alphabet[(Math.max(i, 0) + 1 + (pick % (alphabet.length - 1))) % alphabet.length] as string;
}

/** The signature a scheme carries, split out of its header so mutations can work on the MAC alone. */
interface Parsed {
  /** telegram: the token; hub: hex; stripe: the v1 hex; SW: the v1 base64. */
  mac: string;
  /** stripe `t`, SW webhook-timestamp. */
  t?: string;
  /** SW webhook-id. */
  id?: string;
}

function parse(scheme: Scheme, headers: Record<string, string>): Parsed {
  const v = headers[SIG_HEADER[scheme]] as string;
  if (scheme === "telegram") return { mac: v };
  if (scheme === "meta" || scheme === "github") return { mac: v.slice("sha256=".length) };
  if (scheme === "stripe") {
    const [t, v1] = v.split(",");
    return { mac: (v1 as string).slice(3), t: (t as string).slice(2) };
  }
  return { mac: v.slice(3), t: headers["webhook-timestamp"], id: headers["webhook-id"] };
}

/** A stable, distinct wrong secret of the scheme's shape. */
function wrongSecret(scheme: Scheme, n: number): string {
  const tag = `forged-${n % 100_000}`;
  // Never the real key plus something: a truncation could give the real key back.
  const reversed = [...KEYS[scheme][0]].reverse().join("");
  return scheme === "standard-webhooks" ? `whsec_${btoa(`${tag}-key-material`)}` : `${tag}-${reversed}`;
}

/**
 * Builds the delivery for a case: sign, apply forging mutations to the parts, render the headers, then
 * apply cosmetic changes to the rendered lines.
 */
export async function buildDelivery(scheme: Scheme, fc_: FuzzCase, hugeMaxBytes = 65_536): Promise<Delivery> {
  const [first, second] = KEYS[scheme];
  const rotation = fc_.cosmetic.some((c) => c.kind === "rotation");
  const secretValue = rotation && fc_.signWithSecond ? second : first;
  let signAt = NOW;
  const jitter = fc_.cosmetic.find((c) => c.kind === "window-jitter");
  if (jitter) signAt += ((jitter.k.a % (2 * TOLERANCE_S - 1)) - (TOLERANCE_S - 1)) * 1000;
  let body = fc_.body;
  const kinds = new Set(fc_.forging.map((f) => f.kind));
  const sign = async (secret: string, at: number, id = "msg_fuzz") =>
    (await signers[scheme]({ rawBody: body, secret, now: at, id })) as Record<string, string>;

  let signed = await sign(secretValue, signAt);
  for (const { kind, k } of fc_.forging) {
    if (kind === "wrong-secret") signed = await sign(wrongSecret(scheme, k.a), signAt);
    if (kind === "stale-timestamp") {
      const beyond = TOLERANCE_S + 1 + (k.a % (k.b % 3 === 0 ? 5 : 100_000));
      signed = await sign(secretValue, NOW + (k.c % 2 === 0 ? beyond : -beyond) * 1000);
    }
  }
  const p = parse(scheme, signed);
  let mac = p.mac;
  /** One character changed; two changes at one position could restore it, so never give the MAC back. */
  const corrupt = (m: string, a: number, b: number): string => {
    const change = (x: string, at: number) =>
      x.slice(0, at) + otherChar(scheme, x[at] as string, b) + x.slice(at + 1);
    const out = change(m, a % m.length);
    return out.toLowerCase() === p.mac.toLowerCase() ? change(out, (a + 1) % m.length) : out;
  };
  let t = p.t;
  let id = p.id;
  /** How the signature travels: the slot it sits in, repeated copies, and header-level overrides. */
  let slot = scheme === "meta" || scheme === "github" ? "sha256=" : scheme === "stripe" ? "v1=" : "v1,";
  let copies = 1;
  let sigOverride: string | null | undefined;
  let appendSigTwice = false;
  let tKey = "t";
  let hugePad = 0;

  for (const { kind, k } of fc_.forging) {
    switch (kind) {
      case "body-bit-flip": {
        const copy = new Uint8Array(body);
        const flips = 1 + (k.c % 3);
        for (let i = 0; i < flips; i++) {
          const at = (k.a + i * 7919) % copy.length;
          copy[at] = (copy[at] as number) ^ (1 << ((k.b + i) % 8));
        }
        // Flipping the same bit twice would undo it: force a net change on the first byte touched.
        const at0 = k.a % copy.length;
        if (copy.every((x, i) => x === body[i])) copy[at0] = (copy[at0] as number) ^ 0x80;
        body = copy;
        break;
      }
      case "body-resize":
        body =
          k.c % 2 === 0 && body.length > 0
            ? body.slice(0, k.a % body.length)
            : new Uint8Array([...body, ...new Uint8Array(1 + (k.a % 16)).fill(32 + (k.b % 90))]);
        break;
      case "mac-truncate": {
        const cut = 1 + (k.a % Math.max(1, mac.length - 1));
        mac = k.b % 2 === 0 ? mac.slice(0, mac.length - cut) : mac.slice(cut);
        break;
      }
      case "mac-char":
        mac = corrupt(mac, k.a, k.b);
        break;
      case "mac-case":
        if (scheme === "standard-webhooks" || scheme === "telegram") {
          const swapped = [...mac].map((ch) =>
            ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase(),
          );
          const joined = swapped.join("");
          // A MAC with no letters cannot change case; change a character instead.
          mac = joined !== mac ? joined : mac.slice(0, -1) + otherChar(scheme, mac.at(-1) as string, k.b);
        } else if (scheme === "stripe" && k.a % 2 === 1) {
          tKey = "T"; // hex case is equivalent; the scheme's keys are not
        } else {
          slot = slot.toUpperCase();
        }
        break;
      case "mac-inner-space": {
        const at = 1 + (k.a % Math.max(1, mac.length - 1));
        mac = `${mac.slice(0, at)}${k.b % 2 === 0 ? " " : "\t"}${mac.slice(at)}`;
        break;
      }
      case "mac-duplicated-corrupt":
        if (scheme === "stripe" || scheme === "standard-webhooks") {
          mac = corrupt(mac, k.a, k.b);
          copies = 2 + (k.c % 3);
        } else {
          // No list in these schemes: the same header twice reads as "v, v", which is not one token or MAC.
          appendSigTwice = true;
        }
        break;
      case "mac-misplaced":
        slot =
          scheme === "stripe"
            ? ["v0=", "v2=", "t1="][k.a % 3]!
            : scheme === "standard-webhooks"
              ? ["v1a,", "v2,", "v0,"][k.a % 3]!
              : scheme === "telegram"
                ? ""
                : ["sha1=", "sha512=", "sha256:"][k.a % 3]!;
        if (scheme === "telegram") sigOverride = null; // the token moves to another header below
        break;
      case "timestamp-edit": {
        const delta = 1 + (k.a % (TOLERANCE_S - 1));
        t = String(Number(t) + (k.b % 2 === 0 ? delta : -delta));
        break;
      }
      case "id-edit":
        id = `${id}${"x".repeat(1 + (k.a % 4))}`.slice(k.b % 2);
        if (id === "msg_fuzz") id = "msg_fuzy";
        break;
      case "header-empty":
        sigOverride = k.a % 2 === 0 ? "" : " \t ";
        break;
      case "header-missing":
        sigOverride = null;
        break;
      case "header-huge": {
        mac = corrupt(mac, k.a, k.b);
        hugePad = 4_096 + (k.c % Math.max(1, hugeMaxBytes - 4_096));
        break;
      }
      default:
        break; // wrong-secret, stale-timestamp: done when signing
    }
  }

  // Render the signature header.
  const sigName = SIG_HEADER[scheme];
  let sig: string;
  if (scheme === "stripe") {
    const items = [`${tKey}=${t}`];
    for (let i = 0; i < copies; i++) items.push(`${slot}${mac}`);
    sig = items.join(",");
  } else if (scheme === "standard-webhooks") {
    sig = Array.from({ length: copies }, () => `${slot}${mac}`).join(" ");
  } else if (scheme === "telegram") {
    sig = mac;
  } else {
    sig = `${slot}${mac}`;
  }
  if (hugePad > 0) {
    const sep = scheme === "stripe" ? "," : " ";
    const junk = scheme === "stripe" ? "v1=0badc0de" : scheme === "standard-webhooks" ? "v1,AAAA" : "x";
    sig +=
      (scheme === "telegram" || scheme === "meta" || scheme === "github" ? "" : sep) +
      Array.from({ length: Math.ceil(hugePad / (junk.length + 1)) }, () => junk).join(sep);
  }
  const lines: [string, string][] = [];
  if (scheme === "standard-webhooks") {
    lines.push(["webhook-id", id as string], ["webhook-timestamp", t as string]);
  }
  if (sigOverride === null) {
    if (scheme === "telegram" && kinds.has("mac-misplaced")) lines.push(["X-Telegram-Bot-Api-Secret", sig]);
  } else if (sigOverride !== undefined) {
    lines.push([sigName, sigOverride]);
  } else {
    lines.push([sigName, sig]);
    if (appendSigTwice) lines.push([sigName, sig]);
  }

  // Cosmetic changes: equivalent by the scheme's definition.
  let secrets: Secret[] = [{ id: "FIRST", value: first }];
  for (const { kind, k } of fc_.cosmetic) {
    switch (kind) {
      case "name-case":
        for (const line of lines)
          line[0] = [...line[0]]
            .map((ch, i) => ((k.a >> (i % 30)) & 1 ? ch.toUpperCase() : ch.toLowerCase()))
            .join("");
        break;
      case "value-whitespace":
        for (const line of lines) {
          const ws = [" ", "\t", "  ", " \t"];
          line[1] = `${ws[k.a % 4]}${line[1]}${ws[k.b % 4]}`;
        }
        break;
      case "hex-upper":
        for (const line of lines)
          if (line[0].toLowerCase() === sigName.toLowerCase())
            line[1] = line[1].replace(/[0-9a-f]{64}/g, (h) =>
              k.a % 2 === 0 ? h.toUpperCase() : mixCase(h, k.b),
            );
        break;
      case "list-extra":
        for (const line of lines) {
          if (line[0].toLowerCase() !== sigName.toLowerCase() || line[1].trim() === "") continue;
          if (scheme === "stripe") {
            const items = line[1].trim().split(",");
            const extra = [`v0=${"ab".repeat(32)}`, `v1=${"0".repeat(63)}${k.a % 10}`, `x=${k.b}`];
            const v1 = items.find((i) => i.startsWith("v1="));
            if (k.c % 2 === 0 && v1) items.push(v1); // the signature twice
            items.push(...extra.slice(0, 1 + (k.a % 3)));
            line[1] = rotate(items, k.b).join(k.c % 3 === 0 ? ", " : ",");
          } else {
            const entries = line[1].trim().split(" ");
            const extra = [
              `v1a,${btoa("ed25519-not-checked")}`,
              `v2,${btoa("future")}`,
              `v1,${btoa(`n${k.a}`)}`,
            ];
            if (k.c % 2 === 0) entries.push(entries[0] as string);
            entries.push(...extra.slice(0, 1 + (k.a % 3)));
            line[1] = rotate(entries, k.b).join(" ");
          }
        }
        break;
      case "svix-names":
        for (const line of lines) line[0] = line[0].replace(/^webhook-/i, "svix-");
        break;
      case "rotation":
        secrets = [
          { id: "FIRST", value: first },
          { id: "SECOND", value: second },
        ];
        if (k.a % 2 === 0) secrets.reverse();
        break;
      case "noise-headers":
        lines.splice(
          k.a % (lines.length + 1),
          0,
          ["x-noise", `n${k.b}`],
          ["content-type", "application/json"],
        );
        break;
      case "telegram-body": {
        // Telegram's token covers no body: any body goes with a good token.
        const copy = new Uint8Array(body);
        const at = k.a % copy.length;
        copy[at] = (copy[at] as number) ^ (1 + (k.b % 255));
        body = copy;
        break;
      }
      default:
        break; // window-jitter: applied when signing
    }
  }
  return { body, headers: lines, secrets, now: NOW };
}

function mixCase(h: string, bits: number): string {
  return [...h].map((ch, i) => ((bits >> (i % 30)) & 1 ? ch.toUpperCase() : ch)).join("");
}

function rotate<T>(items: T[], by: number): T[] {
  const n = by % items.length;
  return [...items.slice(n), ...items.slice(0, n)];
}

/** Headers as a fetch would carry them (joined repeats, trimmed values, case-insensitive names). */
export function toHeaders(lines: [string, string][]): Headers {
  const headers = new Headers();
  for (const [name, value] of lines) headers.append(name, value);
  return headers;
}

export async function verifyDelivery(scheme: Scheme, d: Delivery) {
  return verifiers[scheme]({
    rawBody: d.body,
    headers: toHeaders(d.headers),
    secrets: d.secrets,
    now: d.now,
  });
}

export interface FuzzReport {
  scheme: Scheme;
  forged: number;
  forgedAccepted: number;
  controls: number;
  controlsRefused: number;
  /** Forged cases per forging mutation (a case with two mutations counts for both). */
  byMutation: Partial<Record<Forging, number>>;
  /** Why the verifier refused, over the forged cases. */
  reasons: Record<string, number>;
  /** The first failure, shrunk by fast-check. */
  counterexample?: string;
  ms: number;
}

/**
 * Runs `forged` forged cases and `controls` control cases for a scheme; never throws on a finding, it
 * reports it (with fast-check's shrunk counterexample).
 */
export async function fuzzScheme(
  scheme: Scheme,
  o: { forged: number; controls: number; seed?: number; hugeMaxBytes?: number },
): Promise<FuzzReport> {
  const started = performance.now();
  const report: FuzzReport = {
    scheme,
    forged: 0,
    forgedAccepted: 0,
    controls: 0,
    controlsRefused: 0,
    byMutation: {},
    reasons: {},
    ms: 0,
  };
  // One pass: the property tallies each case it is given until the first failure (fast-check then shrinks).
  let found = false;
  const forgedRun = await fc.check(
    fc.asyncProperty(caseArbitrary(scheme, true), async (c) => {
      const result = await verifyDelivery(scheme, await buildDelivery(scheme, c, o.hugeMaxBytes));
      if (!found) {
        report.forged++;
        for (const kind of new Set(c.forging.map((f) => f.kind)))
          report.byMutation[kind] = (report.byMutation[kind] ?? 0) + 1;
        if (result.ok) report.forgedAccepted++;
        else report.reasons[result.reason] = (report.reasons[result.reason] ?? 0) + 1;
      }
      if (result.ok) found = true;
      return !result.ok;
    }),
    { numRuns: o.forged, seed: o.seed, endOnFailure: true },
  );
  if (forgedRun.failed) report.counterexample = fc.stringify(forgedRun.counterexample);
  found = false;
  const controlRun = await fc.check(
    fc.asyncProperty(caseArbitrary(scheme, false), async (c) => {
      const result = await verifyDelivery(scheme, await buildDelivery(scheme, c, o.hugeMaxBytes));
      if (!found) {
        report.controls++;
        if (!result.ok) report.controlsRefused++;
      }
      if (!result.ok) found = true;
      return result.ok;
    }),
    { numRuns: o.controls, seed: o.seed, endOnFailure: true },
  );
  if (controlRun.failed)
    report.counterexample ??= `control refused: ${fc.stringify(controlRun.counterexample)}`;
  report.ms = performance.now() - started;
  return report;
}
