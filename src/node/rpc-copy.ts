/** Past this depth the value is handed to structuredClone whole (it may be a cycle). */
const MAX_DEPTH = 64;
const TOO_DEEP = Symbol("too deep");

/**
 * The copy an object call makes of its arguments and its result, as RPC would: the same result as
 * `structuredClone`, but plain data (plain objects, arrays, primitives: all that Hookline's calls carry)
 * is copied directly, which on Node is several times faster than `structuredClone`. Anything else (a Date,
 * a Map, bytes, an Error, a class instance) is copied by `structuredClone` where it appears, and a function
 * throws its DataCloneError. One difference: a value reached twice is copied twice (identity is not kept).
 *
 * @example
 * const input = rpcCopy(args); // the callee can change it without touching the caller's
 */
export function rpcCopy<T>(value: T): T {
  try {
    return copy(value, 0) as T;
  } catch (err) {
    if (err === TOO_DEEP) return structuredClone(value);
    throw err;
  }
}

function copy(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null) {
    // Functions and symbols cannot be cloned: structuredClone throws the DataCloneError RPC would.
    return typeof value === "function" || typeof value === "symbol" ? structuredClone(value) : value;
  }
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const list = value as unknown[];
    const out = new Array<unknown>(list.length);
    for (let i = 0; i < list.length; i++) out[i] = copy(list[i], depth + 1);
    return out;
  }
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (Object.hasOwn(value, key)) out[key] = copy((value as Record<string, unknown>)[key], depth + 1);
  }
  return out;
}
