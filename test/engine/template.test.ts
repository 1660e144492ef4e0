import { describe, expect, it } from "vitest";
import type { ExprContext } from "../../src/engine/context.ts";
import { checkTemplate, renderTemplate, renderValue } from "../../src/engine/template.ts";

const ctx: ExprContext = {
  input: { name: "Ada", n: 5, items: ["a", "b"], user: { id: 7 }, note: null },
  event: null,
  steps: { draft: { output: { text: "Dear Ada" } } },
  run: { id: "run_1", workflow: "w", startedAt: 0 },
  item: "x",
  index: 0,
};

describe("templates", () => {
  it("renders placeholders inside text", () => {
    expect(renderTemplate("Hi {{ input.name }}, {{ size(input.items) }} items", ctx)).toEqual({
      ok: true,
      value: "Hi Ada, 2 items",
    });
  });

  it("renders numbers without a trailing .0 and structures as JSON", () => {
    expect(renderTemplate("n={{ input.n + 1 }} user={{ input.user }}", ctx)).toEqual({
      ok: true,
      value: 'n=6 user={"id":7}',
    });
  });

  it("renders null as nothing", () => {
    expect(renderTemplate("[{{ input.note }}]", ctx)).toEqual({ ok: true, value: "[]" });
  });

  it("leaves strings without placeholders untouched", () => {
    expect(renderTemplate("plain { text }", ctx)).toEqual({ ok: true, value: "plain { text }" });
  });

  it("keeps braces and quotes inside an expression", () => {
    expect(renderTemplate("{{ {'k': '}}'}.k }}!", ctx)).toEqual({ ok: true, value: "}}!" });
  });

  it("reads loop variables and earlier step outputs", () => {
    expect(renderTemplate("{{ index }}:{{ item }} {{ steps.draft.output.text }}", ctx)).toEqual({
      ok: true,
      value: "0:x Dear Ada",
    });
  });

  it("names the failing placeholder in the error", () => {
    expect(renderTemplate("Hi {{ input.missing }}", ctx)).toEqual({
      ok: false,
      error: expect.stringContaining("{{ input.missing }}"),
    });
  });
});

describe("template values", () => {
  it("keeps the type of a string that is exactly one placeholder", () => {
    expect(
      renderValue(
        { items: "{{ input.items }}", count: "{{ size(input.items) }}", label: "n={{ input.n }}" },
        ctx,
      ),
    ).toEqual({
      ok: true,
      value: { items: ["a", "b"], count: 2, label: "n=5" },
    });
  });

  it("renders nested arrays and leaves non-strings alone", () => {
    expect(renderValue([{ a: "{{ input.name }}" }, 3, true, null], ctx)).toEqual({
      ok: true,
      value: [{ a: "Ada" }, 3, true, null],
    });
  });
});

describe("template checks", () => {
  it("reports an unterminated placeholder", () => {
    expect(checkTemplate("Hi {{ input.name")).toMatch(/unterminated/);
  });

  it("reports a syntax error inside a placeholder", () => {
    expect(checkTemplate("Hi {{ input.name + }}")).toMatch(/input\.name \+/);
  });

  it("reports an empty placeholder", () => {
    expect(checkTemplate("Hi {{ }}")).toMatch(/empty/);
  });

  it("accepts a valid template", () => {
    expect(checkTemplate("Hi {{ input.name }}")).toBeUndefined();
  });
});
