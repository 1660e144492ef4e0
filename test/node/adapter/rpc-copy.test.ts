import { describe, expect, it } from "vitest";
import { rpcCopy } from "../../../src/node/rpc-copy.ts";

describe("rpcCopy (the Node host's copy of object-call arguments and results)", () => {
  it("gives what structuredClone gives for plain data, as a copy that shares nothing", () => {
    const value = {
      s: "x",
      n: -0,
      big: 10n,
      t: true,
      nil: null,
      undef: undefined,
      list: [1, { a: [2, 3] }, "z"],
      nested: { deep: { deeper: { text: "ok" } } },
      bare: Object.assign(Object.create(null), { k: 1 }),
    };
    const copy = rpcCopy(value);
    expect(copy).toStrictEqual(structuredClone(value));
    expect(Object.is(copy.n, -0)).toBe(true);
    expect("undef" in copy).toBe(true);
    copy.list[1] = "changed";
    copy.nested.deep.deeper.text = "changed";
    expect(value.list[1]).toEqual({ a: [2, 3] });
    expect(value.nested.deep.deeper.text).toBe("ok");
  });

  it("copies what is not plain data as structuredClone does: dates, maps, bytes, errors", () => {
    const value = {
      when: new Date(5),
      map: new Map([["a", 1]]),
      bytes: new Uint8Array([1, 2]),
      err: new TypeError("bad"),
    };
    const copy = rpcCopy(value);
    expect(copy.when).toBeInstanceOf(Date);
    expect(copy.when).not.toBe(value.when);
    expect(copy.when.getTime()).toBe(5);
    expect(copy.map.get("a")).toBe(1);
    expect([...copy.bytes]).toEqual([1, 2]);
    expect(copy.bytes).not.toBe(value.bytes);
    expect(copy.err).toBeInstanceOf(TypeError);
    expect(copy.err.message).toBe("bad");
  });

  it("refuses a function with structuredClone's DataCloneError, and copies cycles and deep values whole", () => {
    expect(() => rpcCopy({ f: () => 1 })).toThrow(expect.objectContaining({ name: "DataCloneError" }));
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const copy = rpcCopy(cyclic);
    expect(copy).not.toBe(cyclic);
    expect(copy.self).toBe(copy);
    let deep: unknown = "leaf";
    for (let i = 0; i < 200; i++) deep = { next: deep };
    expect(rpcCopy(deep)).toStrictEqual(deep);
  });
});
