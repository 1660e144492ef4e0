import { describe, expect, it } from "vitest";
import type { ExprContext } from "../../src/engine/context.ts";
import { checkExpression, evaluate, MAX_EXPRESSION_LENGTH } from "../../src/engine/expr.ts";

const ctx: ExprContext = {
  input: { n: 5, price: 10, f: 1.5, items: ["a", "b", "c"], text: "hello world", user: { name: "Ada" } },
  event: { source: "telegram" },
  steps: { classify: { output: { label: "spam", score: 0.92 } } },
  run: { id: "run_1", workflow: "triage", startedAt: 1_700_000_000_000 },
  item: null,
  index: 1,
};

const value = (source: string) => {
  const result = evaluate(source, ctx);
  if (!result.ok) throw new Error(result.error);
  return result.value;
};

describe("expression numbers", () => {
  it.each([
    ["input.n + 1", 6],
    ["1 + input.n", 6],
    ["input.n - 1", 4],
    ["input.n * 2", 10],
    ["input.n / 2", 2.5],
    ["input.n % 2", 1],
    ["input.f * 2", 3],
    ["input.price * 1.5", 15],
    ["size(input.items) + input.n", 8],
    ["index + 1", 2],
    ["1 + 2", 3],
    ["7 / 2", 3],
  ])("computes %s as a plain number", (source, expected) => {
    expect(value(source)).toBe(expected);
  });

  it.each([
    ["input.n == 5", true],
    ["input.n > 3", true],
    ["input.n < 3.5", false],
    ["input.n >= size(input.items)", true],
    ["input.n in [5, 6]", true],
    ["steps.classify.output.score > 0.9", true],
    ["index == 1", true],
  ])("compares JSON numbers with integer literals: %s", (source, expected) => {
    expect(value(source)).toBe(expected);
  });

  it("returns ints from CEL functions as JS numbers, never bigint", () => {
    expect(value("size(input.items)")).toBe(3);
    expect(value("input.text.indexOf('world')")).toBe(6);
    expect(value("[1, 2, 3].map(x, x * 2)")).toEqual([2, 4, 6]);
    expect(value("{'a': 1, 'b': input.n}")).toEqual({ a: 1, b: 5 });
  });

  it("accepts JSON numbers where a function wants an int", () => {
    expect(value("input.text.substring(0, input.n)")).toBe("hello");
    expect(value("input.items[index]")).toBe("b");
  });

  it("reports a non-finite result instead of storing it", () => {
    const result = evaluate("input.n / 0", ctx);
    expect(result).toEqual({ ok: false, error: expect.stringContaining("not a finite number") });
  });
});

describe("expression context", () => {
  it("reads input, event, steps, run, item and index", () => {
    expect(value("input.user.name + ' via ' + event.source")).toBe("Ada via telegram");
    expect(value("steps.classify.output.label")).toBe("spam");
    expect(value("run.workflow")).toBe("triage");
    expect(value("item == null")).toBe(true);
  });

  it("supports macros and string extensions", () => {
    expect(value("input.items.filter(x, x != 'b')")).toEqual(["a", "c"]);
    expect(value("input.items.exists(x, x == 'c')")).toBe(true);
    expect(value("input.text.upperAscii()")).toBe("HELLO WORLD");
    expect(value("input.text.matches('^hel+o')")).toBe(true);
    expect(value("has(input.user.email) ? input.user.email : 'none'")).toBe("none");
  });

  it("returns a missing field as an error value, not an exception", () => {
    expect(evaluate("input.nope", ctx)).toEqual({ ok: false, error: expect.stringContaining("nope") });
  });
});

describe("expression bounds", () => {
  it("rejects an expression longer than the limit", () => {
    expect(checkExpression(`input.n + ${"1 + ".repeat(MAX_EXPRESSION_LENGTH)}1`)).toMatch(/longer than/);
  });

  it("stops nested comprehensions that exceed the iteration budget", () => {
    const big = { ...ctx, input: { xs: Array.from({ length: 200 }, (_, i) => i) } };
    const result = evaluate("input.xs.map(a, input.xs.map(b, a * b)).size()", big);
    expect(result).toEqual({ ok: false, error: expect.stringContaining("iterations") });
  });

  it("allows comprehensions under the budget", () => {
    const big = { ...ctx, input: { xs: Array.from({ length: 100 }, (_, i) => i) } };
    expect(evaluate("size(input.xs.map(a, input.xs.map(b, a * b)))", big)).toEqual({ ok: true, value: 100 });
  });

  it("reports a syntax error without evaluating", () => {
    expect(checkExpression("input.n +")).toBeTypeOf("string");
    expect(checkExpression("input.n + 1")).toBeUndefined();
  });

  it("cannot reach JavaScript globals", () => {
    expect(evaluate("globalThis", ctx).ok).toBe(false);
    expect(evaluate("constructor", ctx).ok).toBe(false);
  });
});

describe("expression lists", () => {
  it("builds large macro results without deep nesting", () => {
    const big = { ...ctx, input: { xs: Array.from({ length: 10_000 }, (_, i) => i) } };
    const result = evaluate("input.xs.map(a, a * 2)", big);
    expect(result.ok && Array.isArray(result.value) && result.value.length).toBe(10_000);
  });

  it("keeps list concatenation value semantics", () => {
    expect(value("[1, 2] + [3]")).toEqual([1, 2, 3]);
    expect(value("input.items + input.items")).toEqual(["a", "b", "c", "a", "b", "c"]);
    expect(value("[[1] + [2], [1] + [3]]")).toEqual([
      [1, 2],
      [1, 3],
    ]);
  });
});

describe("expression safety", () => {
  it("keeps a __proto__ key from user data as a plain key", () => {
    const result = evaluate("{'__proto__': {'polluted': true}}", ctx);
    expect(result.ok && Object.keys(result.value as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
