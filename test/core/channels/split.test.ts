/**
 * splitMessage runs in both vitest projects (Node and workerd): the senders that use it do too.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitMessage } from "../../../src/channels/split.ts";

/** Asserts text = [ws] c0 ws c1 ws … cn [ws]: the chunks, in order, with only whitespace between them. */
function expectReassembles(text: string, chunks: string[]): void {
  let pos = 0;
  for (const chunk of chunks) {
    const at = text.indexOf(chunk, pos);
    expect(at, `chunk not found in order: ${JSON.stringify(chunk.slice(0, 40))}`).toBeGreaterThanOrEqual(pos);
    expect(text.slice(pos, at).trim()).toBe("");
    pos = at + chunk.length;
  }
  expect(text.slice(pos).trim()).toBe("");
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

describe("splitMessage", () => {
  it("returns text that fits unchanged, and nothing for empty text", () => {
    expect(splitMessage("hello world", 11)).toEqual(["hello world"]);
    expect(splitMessage("", 10)).toEqual([]);
  });

  it("prefers a paragraph break over a line break over a sentence end over a space", () => {
    expect(splitMessage("aaaa bbbb.\ncccc\n\ndddd eeee", 20)).toEqual(["aaaa bbbb.\ncccc", "dddd eeee"]);
    expect(splitMessage("aaaa bbbb. cccc\ndddd eeee", 20)).toEqual(["aaaa bbbb. cccc", "dddd eeee"]);
    expect(splitMessage("aaaa bbbb. cccc dddd eeee", 20)).toEqual(["aaaa bbbb.", "cccc dddd eeee"]);
    expect(splitMessage("aaaa bbbb cccc dddd eeee", 20)).toEqual(["aaaa bbbb cccc dddd", "eeee"]);
  });

  it("keeps closing quotes with the sentence they end", () => {
    expect(splitMessage('He said "stop." Then he left the room', 24)).toEqual([
      'He said "stop."',
      "Then he left the room",
    ]);
  });

  it("ignores a boundary that would leave the chunk less than half full", () => {
    const text = `intro\n\n${"word ".repeat(10)}`;
    const [first] = splitMessage(text, 30);
    expect(first?.length).toBeGreaterThanOrEqual(15);
  });

  it("hard-cuts a word longer than the limit", () => {
    expect(splitMessage("abcdefghij", 4)).toEqual(["abcd", "efgh", "ij"]);
  });

  it("never separates the halves of a surrogate pair on a hard cut", () => {
    expect(splitMessage("ab😀cd", 3)).toEqual(["ab", "😀c", "d"]);
  });

  it("rejects a limit that could not hold a surrogate pair", () => {
    expect(() => splitMessage("abc", 1)).toThrow(RangeError);
  });

  it("keeps every chunk within the limit and reassembles the text, for any input", () => {
    const alphabet = fc.constantFrom("a", "b", " ", "\n", ".", "!", '"', "😀", "é", "\t");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 400 }), fc.integer({ min: 2, max: 60 }), (parts, max) => {
        const text = parts.join("");
        const chunks = splitMessage(text, max);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(max);
          expect(isLow(chunk.charCodeAt(0))).toBe(false);
          expect(isHigh(chunk.charCodeAt(chunk.length - 1))).toBe(false);
        }
        expectReassembles(text, chunks);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps arbitrary unicode strings within the limit and in order", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 300 }),
        fc.integer({ min: 2, max: 50 }),
        (text, max) => {
          const chunks = splitMessage(text, max);
          for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(max);
          expectReassembles(text, chunks);
        },
      ),
      { numRuns: 300 },
    );
  });
});
