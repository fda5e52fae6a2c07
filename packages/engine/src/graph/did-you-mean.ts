import { distance } from 'fastest-levenshtein';

const MAX_SUGGESTIONS = 3;

/**
 * Candidates close enough to `word` to be what the user meant: equal but for
 * case, a few edits away, or one a prefix of the other. The edit budget grows
 * with the word, or every short typo would "mean" every other short name.
 */
export function closestNames(word: string, candidates: Iterable<string>): string[] {
  const budget = Math.max(1, Math.min(3, Math.ceil(word.length / 3)));
  const lower = word.toLowerCase();
  const unique = [...new Set(candidates)];
  // Differing only in case is surely the one meant; other near names would only distract.
  const sameButCase = unique.find((candidate) => candidate !== word && candidate.toLowerCase() === lower);
  if (sameButCase !== undefined) return [sameButCase];
  const scored: { name: string; score: number }[] = [];
  for (const candidate of unique) {
    if (candidate === word) continue;
    const candidateLower = candidate.toLowerCase();
    const edits = distance(lower, candidateLower);
    const prefix = lower.length >= 3 && (candidateLower.startsWith(lower) || lower.startsWith(candidateLower));
    if (edits <= budget || prefix) scored.push({ name: candidate, score: edits });
  }
  // Only the closest: a second-best name is noise next to a clear winner.
  const best = Math.min(...scored.map((entry) => entry.score));
  return scored
    .filter((entry) => entry.score === best)
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, MAX_SUGGESTIONS)
    .map((entry) => entry.name);
}

/** `did you mean 'a' or 'b'?`, or undefined when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const close = closestNames(word, candidates);
  return close.length > 0 ? `did you mean ${close.map((name) => `'${name}'`).join(' or ')}?` : undefined;
}

/** A hint for an unknown name: the suggestion if any, then the valid names. */
export function unknownNameHint(word: string, candidates: readonly string[], what: string): string {
  const suggestion = didYouMean(word, candidates);
  const valid = candidates.length > 0 ? `valid ${what}: ${[...candidates].sort().join(', ')}` : `there are no ${what}`;
  return suggestion ? `${suggestion} (${valid})` : valid;
}
