/** Whether a value found at `start` of `text` counts (a short secret only as a whole token). */
export type LiteralFits = (text: string, start: number, value: string) => boolean;

/** Up to this many values, each is looked for with indexOf (native, the fastest for a few); more, one pass over the text looks each place up by its first two characters. */
const FEW_VALUES = 16;

/**
 * A set of literal strings (secrets, received values) to replace in texts:
 * at each place the longest that fits, left to right, and a replacement is
 * never searched again. This is what an alternation of the values, longest
 * first, in one global regex did; a regex cannot hold them all: V8 refuses
 * an alternation with a literal of 32,768 characters or more (a password
 * may have 65,535), and throwing there lost the very error being masked.
 * Here no pattern is built: a few values cost an indexOf each per text (a
 * log line), many about one map lookup per character of it.
 */
export class LiteralSet {
  /** Longest first. */
  readonly #values: readonly string[];
  readonly #fits: LiteralFits | undefined;
  /** For many values: those of 2 characters or more by their first two (longest first), single characters by theirs. */
  #byFirstTwo: Map<number, string[]> | undefined;
  #single: Map<number, string> | undefined;

  constructor(values: Iterable<string>, fits?: LiteralFits) {
    this.#values = [...new Set(values)].filter((value) => value.length > 0).sort((a, b) => b.length - a.length);
    this.#fits = fits;
  }

  /** `text` with every value found replaced by `by(value)`; the same text when none is there. */
  replace(text: string, by: (value: string) => string): string {
    const found = this.#values.length <= FEW_VALUES ? this.#findEach(text) : this.#findInOnePass(text);
    if (found.length === 0) return text;
    let replaced = '';
    let at = 0;
    for (const [start, value] of found) {
      replaced += text.slice(at, start) + by(value);
      at = start + value.length;
    }
    return replaced + text.slice(at);
  }

  /**
   * Each value's next place, merged: the earliest wins, the longest of those
   * at one place (values are longest first); values whose next place the
   * winner covers look again after it.
   */
  #findEach(text: string): Array<[start: number, value: string]> {
    const next = this.#values.map((value) => this.#nextPlace(text, value, 0));
    if (next.every((place) => place < 0)) return [];
    const found: Array<[number, string]> = [];
    for (;;) {
      let best = -1;
      for (let index = 0; index < next.length; index++) {
        const place = next[index] as number;
        if (place >= 0 && (best < 0 || place < (next[best] as number))) best = index;
      }
      if (best < 0) return found;
      const value = this.#values[best] as string;
      const start = next[best] as number;
      found.push([start, value]);
      const end = start + value.length;
      for (let index = 0; index < next.length; index++) {
        if ((next[index] as number) >= 0 && (next[index] as number) < end) next[index] = this.#nextPlace(text, this.#values[index] as string, end);
      }
    }
  }

  /** Where `value` next stands in `text` from `from` on and fits; -1 when nowhere. */
  #nextPlace(text: string, value: string, from: number): number {
    for (let place = text.indexOf(value, from); place >= 0; place = text.indexOf(value, place + 1)) {
      if (!this.#fits || this.#fits(text, place, value)) return place;
    }
    return -1;
  }

  /** Every place of the text in turn: the values that start with its first two characters, longest first, then the one that is its first character. */
  #findInOnePass(text: string): Array<[start: number, value: string]> {
    if (!this.#byFirstTwo || !this.#single) {
      this.#byFirstTwo = new Map();
      this.#single = new Map();
      for (const value of this.#values) {
        if (value.length === 1) this.#single.set(value.charCodeAt(0), value);
        else {
          const key = firstTwo(value, 0);
          const list = this.#byFirstTwo.get(key);
          if (list) list.push(value);
          else this.#byFirstTwo.set(key, [value]);
        }
      }
    }
    const found: Array<[number, string]> = [];
    for (let place = 0; place < text.length; ) {
      const candidates = place + 1 < text.length ? this.#byFirstTwo.get(firstTwo(text, place)) : undefined;
      let value = candidates?.find((candidate) => text.startsWith(candidate, place) && (!this.#fits || this.#fits(text, place, candidate)));
      if (value === undefined) {
        const single = this.#single.get(text.charCodeAt(place));
        if (single !== undefined && (!this.#fits || this.#fits(text, place, single))) value = single;
      }
      if (value === undefined) place++;
      else {
        found.push([place, value]);
        place += value.length;
      }
    }
    return found;
  }
}

/** The UTF-16 code units at `at` and after it, as one number. */
function firstTwo(text: string, at: number): number {
  return text.charCodeAt(at) * 0x10000 + text.charCodeAt(at + 1);
}
