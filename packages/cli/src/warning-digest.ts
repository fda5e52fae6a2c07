import type { GraphWarning } from '@converge/engine';

/** How many warnings of one message are told in full before the rest are summed up. */
const TOLD_IN_FULL = 2;

export interface WarningDigest {
  /** Told as they are. */
  readonly told: readonly GraphWarning[];
  /** Per message told `TOLD_IN_FULL` times already: where else it applies. */
  readonly more: ReadonlyArray<{ readonly message: string; readonly file: string; readonly lines: readonly number[] }>;
}

/**
 * A graph written for an older mgmt can carry the same old spelling on every
 * resource (`pollint: 0` on each exec): each is told at its line for the
 * first two, then one line says where else, instead of a screen of repeats.
 */
export function digestWarnings(warnings: readonly GraphWarning[]): WarningDigest {
  const seen = new Map<string, number[]>();
  const told: GraphWarning[] = [];
  const key = (warning: GraphWarning): string => `${warning.location.file}\u0000${warning.message}`;
  // In file order: the checks that find them run one after another, each over the whole graph.
  const inFileOrder = [...warnings].sort(
    (a, b) => a.location.file.localeCompare(b.location.file) || a.location.line - b.location.line || a.location.column - b.location.column,
  );
  for (const warning of inFileOrder) {
    const lines = seen.get(key(warning)) ?? [];
    if (lines.length < TOLD_IN_FULL) told.push(warning);
    lines.push(warning.location.line);
    seen.set(key(warning), lines);
  }
  const more = [...seen].flatMap(([id, lines]) => {
    if (lines.length <= TOLD_IN_FULL) return [];
    const [file = '', message = ''] = id.split('\u0000');
    return [{ message, file, lines: lines.slice(TOLD_IN_FULL) }];
  });
  return { told, more };
}
