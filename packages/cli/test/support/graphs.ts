import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `text` as `<dir>/<name>` and returns the path. */
export async function writeGraph(dir: string, name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** The 1-based line of the first line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" is not in the graph`);
  return index + 1;
}

/** Flags that make a run apply once and exit, with throwaway state. */
export const ONCE = ['--tmp-prefix', '--converger-timeout=0', '--converged-exit'] as const;

/** Flags that make a run apply once and exit, keeping its state in `stateDir` for the next run. */
export function onceWithState(stateDir: string): string[] {
  return ['--converger-timeout=0', '--converged-exit', '--prefix', stateDir];
}
