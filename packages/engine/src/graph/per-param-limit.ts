/** How many problems of one param are told one by one; the rest are counted. */
export const MAX_TOLD_PER_PARAM = 5;

/**
 * Keeps a long list of problems of one param (a list of a thousand numbers
 * where texts are wanted) from burying the rest: the first few are told,
 * the others only counted, and said where the last one told was written, so
 * that the count comes right after them.
 */
export class PerParamLimit {
  readonly #told = new Map<string, { count: number; last: readonly string[] }>();
  readonly #untold = new Map<string, { count: number; after: readonly string[] }>();

  /** True when this problem of `param`, at `at`, is to be told. */
  admit(param: string, at: readonly string[]): boolean {
    const told = this.#told.get(param);
    if (!told || told.count < MAX_TOLD_PER_PARAM) {
      this.#told.set(param, { count: (told?.count ?? 0) + 1, last: at });
      return true;
    }
    this.#untold.set(param, { count: (this.#untold.get(param)?.count ?? 0) + 1, after: told.last });
    return false;
  }

  /** Each param with problems not told: how many, and where to say so. */
  untold(): ReadonlyMap<string, { readonly count: number; readonly after: readonly string[] }> {
    return this.#untold;
  }
}
