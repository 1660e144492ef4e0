import { type CelFunc, type CelList, CelScalar, type CelValue, celFunc, listType } from "@bufbuild/cel";

// @bufbuild/cel brands its lists with this registered symbol; `isCelList` checks only the brand.
const LIST_BRAND = Symbol.for("@bufbuild/cel/list");
const LIST = listType(CelScalar.DYN);

/**
 * A list that is a prefix view of an append-only array. The macros `map` and `filter` build
 * their result with `accu + [x]`; the stock concat nests one wrapper per element, so walking
 * a 5,000-element result overflows the stack. Appending to the newest view reuses its array
 * (like Go's `append`), which keeps each step O(1) amortized and every list flat.
 */
class AppendList {
  readonly [LIST_BRAND] = {};
  readonly #items: CelValue[];
  readonly size: number;

  constructor(items: CelValue[], size: number) {
    this.#items = items;
    this.size = size;
  }

  get(index: number): CelValue | undefined {
    return index >= 0 && index < this.size ? this.#items[index] : undefined;
  }

  *values(): IterableIterator<CelValue> {
    for (let i = 0; i < this.size; i++) yield this.#items[i] as CelValue;
  }

  [Symbol.iterator](): IterableIterator<CelValue> {
    return this.values();
  }

  append(right: CelList): AppendList {
    // Only the newest view may grow the shared array; an older view must copy its prefix.
    const items = this.size === this.#items.length ? this.#items : this.#items.slice(0, this.size);
    for (const value of right) items.push(value);
    return new AppendList(items, items.length);
  }
}

/** Replaces the standard `list + list` (same overload id, so it takes precedence). */
export const listFuncs: CelFunc[] = [
  celFunc("_+_", [LIST, LIST], LIST, (left, right) => {
    const base = left instanceof AppendList ? left : new AppendList(Array.from(left), left.size);
    return base.append(right) as unknown as CelList;
  }),
];
