import type { EngineError } from '@converge/engine-api';
import type { Reporter } from './reporter.js';

/**
 * How many entries of a list about resources (the calls still running at a
 * stop, the failures in the summary) text output shows before it says how
 * many more there are: one line per resource flooded the log of a large
 * graph (QA: a stop during an apply of 5,000 files printed 6,498 `still
 * running` lines, then 3,249 failures). --log-json keeps every entry, a
 * record each, for the programs that read it.
 */
export const LIST_SHOWN = 10;

/** Tells the first LIST_SHOWN of `items` (all of them `inFull`), then how many were left out. */
export function tellCapped<T>(items: readonly T[], inFull: boolean, tell: (item: T) => void, tellLeftOut: (count: number) => void): void {
  const shown = inFull ? items : items.slice(0, LIST_SHOWN);
  for (const item of shown) tell(item);
  if (items.length > shown.length) tellLeftOut(items.length - shown.length);
}

/** Each failure with its hint; in text, the first few, then how many more (each was told as it happened). */
export function tellFailures(failures: readonly EngineError[], reporter: Reporter): void {
  tellCapped(failures, reporter.listsInFull, (failure) => reporter.problem(failure), (more) =>
    reporter.say(`… and ${more} more failed (each told as it failed; --log-json lists them all here)`),
  );
}
