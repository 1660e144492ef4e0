import { isCelList, isCelMap, isCelType, isCelUint } from "@bufbuild/cel";
import { isReflectMessage } from "@bufbuild/protobuf/reflect";
import type { Json } from "./json.ts";

/**
 * Converts a CEL result to plain JSON: ints (bigint) and uints become numbers, lists and maps
 * become arrays and objects, timestamps become ISO strings and durations milliseconds, so
 * engine state stays JSON-safe. Throws on values JSON cannot hold (NaN, bytes, messages).
 *
 * @example
 * fromCel(6n); // 6
 */
export function fromCel(value: unknown): Json {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`result ${value} is not a finite number`);
    return value;
  }
  if (typeof value === "bigint") return bigintToNumber(value);
  if (isCelUint(value)) return bigintToNumber(value.value);
  if (isCelList(value)) return Array.from(value, fromCel);
  if (isCelMap(value)) {
    // fromEntries defines own properties, so a "__proto__" key from user JSON stays a plain key.
    return Object.fromEntries(
      Array.from(value, ([key, entry]) => [String(isCelUint(key) ? key.value : key), fromCel(entry)]),
    );
  }
  if (isCelType(value)) return value.name;
  if (isReflectMessage(value)) return fromWellKnown(value.desc.typeName, value.message);
  throw new Error(
    `result of type ${value instanceof Uint8Array ? "bytes" : typeof value} cannot be stored as JSON`,
  );
}

function bigintToNumber(value: bigint): number {
  // Past 2^53 a JSON number silently loses digits; better to say so than to store a wrong value.
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`integer ${value} is outside the safe JSON range`);
  }
  return Number(value);
}

function fromWellKnown(typeName: string, message: unknown): Json {
  const { seconds, nanos } = message as { seconds: bigint; nanos: number };
  const ms = Number(seconds) * 1_000 + Math.trunc(nanos / 1_000_000);
  if (typeName === "google.protobuf.Timestamp") return new Date(ms).toISOString();
  if (typeName === "google.protobuf.Duration") return ms;
  throw new Error(`result of type ${typeName} cannot be stored as JSON`);
}
