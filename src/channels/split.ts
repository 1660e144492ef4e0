/**
 * Split long chat replies into chunks a channel accepts (Telegram: 4096, WhatsApp: 4096 UTF-16 units).
 *
 * Boundaries are tried from the most to the least natural: paragraph, line, sentence end, whitespace,
 * then a hard cut. A boundary is only taken if it keeps the chunk at least half full, so a stray early
 * paragraph break does not produce a run of tiny messages; if no boundary does, any boundary wins over a
 * hard cut. Whitespace at a split point is dropped; everything else is kept, in order.
 */

/** A sentence end: terminal punctuation, optional closing quotes/brackets, then whitespace. */
const SENTENCE_END = /[.!?…。！？][”’"')\]]*(?=\s)/g;

type Finder = (window: string) => number[];

const lastIndexOfParagraph: Finder = (w) => [w.lastIndexOf("\n\n")];
const lastIndexOfLine: Finder = (w) => [w.lastIndexOf("\n")];
const sentenceEnds: Finder = (w) => Array.from(w.matchAll(SENTENCE_END), (m) => m.index + m[0].length);
const lastWhitespace: Finder = (w) => {
  for (let i = w.length - 1; i >= 0; i--) if (/\s/.test(w[i] ?? "")) return [i];
  return [-1];
};

const FINDERS: Finder[] = [lastIndexOfParagraph, lastIndexOfLine, sentenceEnds, lastWhitespace];

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The cut index (chunk = text.slice(0, cut)) for text longer than maxChars. Always in [1, maxChars]. */
function findCut(text: string, maxChars: number): number {
  const window = text.slice(0, maxChars + 1);
  for (const minCut of [Math.ceil(maxChars / 2), 1]) {
    for (const find of FINDERS) {
      const best = Math.max(...find(window).filter((cut) => cut <= maxChars));
      if (best >= minCut) return best;
    }
  }
  // Never separate the halves of a surrogate pair (an emoji would turn into two U+FFFD).
  const splitsPair =
    isHighSurrogate(text.charCodeAt(maxChars - 1)) && isLowSurrogate(text.charCodeAt(maxChars));
  return splitsPair ? maxChars - 1 : maxChars;
}

/**
 * Split `text` into chunks of at most `maxChars` UTF-16 code units on the best boundary.
 * Returns `[]` for empty text, `[text]` when it already fits.
 *
 * @example
 * splitMessage("First paragraph.\n\nSecond one.", 20) // → ["First paragraph.", "Second one."]
 */
export function splitMessage(text: string, maxChars: number): string[] {
  if (!Number.isInteger(maxChars) || maxChars < 2) {
    throw new RangeError(`maxChars must be an integer ≥ 2 (got ${maxChars})`);
  }
  if (text.length === 0) return [];
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    const cut = findCut(rest, maxChars);
    const chunk = rest.slice(0, cut).trimEnd();
    if (chunk.length > 0) chunks.push(chunk);
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) chunks.push(rest);
  return chunks;
}
