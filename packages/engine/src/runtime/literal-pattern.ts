/** `text` as a regular expression source that matches it literally. */
function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * One global pattern that finds any of `values` literally, longest first (so
 * that a value inside a longer one does not cut it), for a one-pass replace
 * whose replacements are never searched again. `wrap` may add context to a
 * value's escaped source (word boundaries).
 */
export function literalAlternation(values: Iterable<string>, wrap: (escaped: string, value: string) => string = (escaped) => escaped): RegExp {
  const alternatives = [...values].sort((a, b) => b.length - a.length).map((value) => wrap(escapeForRegExp(value), value));
  return new RegExp(alternatives.join('|'), 'g');
}
