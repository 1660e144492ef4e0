import { type CelFunc, CelScalar, celFunc, celMethod } from "@bufbuild/cel";

const { INT, DOUBLE, DYN } = CelScalar;

/*
 * JSON numbers reach CEL as doubles while literals like `1` are ints, and CEL has no
 * int/double arithmetic overloads, so `input.n + 1` would fail. These overloads make mixed
 * arithmetic produce a double, which is what someone writing JSON expects (`input.n / 2` is 2.5).
 */
const mixed = (name: string, op: (l: number, r: number) => number): CelFunc[] => [
  celFunc(name, [INT, DOUBLE], DOUBLE, (l, r) => op(Number(l), r)),
  celFunc(name, [DOUBLE, INT], DOUBLE, (l, r) => op(l, Number(r))),
];

/** Mixed int/double arithmetic, plus `%` on doubles (CEL only defines it for integers). */
export const numberFuncs: CelFunc[] = [
  ...mixed("_+_", (l, r) => l + r),
  ...mixed("_-_", (l, r) => l - r),
  ...mixed("_*_", (l, r) => l * r),
  ...mixed("_/_", (l, r) => l / r),
  ...mixed("_%_", (l, r) => l % r),
  celFunc("_%_", [DOUBLE, DOUBLE], DOUBLE, (l, r) => l % r),
];

/**
 * Adds a twin of every function that takes an `int`, accepting any argument there and
 * converting a whole double to an int, so `s.substring(0, input.n)` works with JSON numbers.
 * The originals are tried first, so exact int calls keep their behaviour.
 *
 * @example
 * celEnv({ funcs: [...strings, ...acceptDoublesForInts(strings)] });
 */
export function acceptDoublesForInts(funcs: Iterable<CelFunc>): CelFunc[] {
  const twins: CelFunc[] = [];
  for (const original of funcs) {
    const intAt = original.arguments.map((t) => t === INT);
    if (!intAt.includes(true)) continue;
    const args = original.arguments.map((t, i) => (intAt[i] ? DYN : t));
    const convert = (values: unknown[]) => values.map((v, i) => (intAt[i] ? toInt(v) : v));
    const call = (target: unknown, values: unknown[]) => {
      const result = original.call(0, target as never, convert(values) as never);
      if (result === undefined) throw new Error(`no matching overload for '${original.name}'`);
      if (result instanceof Error) throw result;
      return result;
    };
    twins.push(
      original.target === undefined
        ? celFunc(original.name, args, original.result, (...values: unknown[]) => call(undefined, values))
        : celMethod(original.name, original.target, args, original.result, function (...values: unknown[]) {
            return call(this, values);
          }),
    );
  }
  return twins;
}

function toInt(value: unknown): unknown {
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "bigint") return value;
  throw new Error(`expected a whole number, got ${typeof value === "number" ? value : typeof value}`);
}
