import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes `value` as JSON to `file` so that a crash leaves either the old
 * file or the new one, never a torn one: a private temp file beside it,
 * flushed to disk, then renamed over it. Mode 0600: state files may hold
 * secrets (reversed file content, world values).
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(value), { mode: 0o600, flush: true });
  await rename(temp, file);
}

/**
 * Removes temp files a killed process left in `dir` (its writes were never
 * renamed into place, so they hold nothing anyone relies on). Called when a
 * store loads: one engine owns a state dir, so no write is under way then.
 */
function sweepTempFiles(dir: string, names: readonly string[]): void {
  for (const name of names) {
    if (/\.\d+\.tmp$/.test(name)) rmSync(join(dir, name), { force: true });
  }
}

/**
 * A state store's folder, made if missing (0700), with temp files of killed
 * writers swept away, and every JSON file in it parsed. A torn or foreign
 * file is skipped: writes are atomic, so only someone else writes those.
 * Synchronous: it runs once, when the engine starts and nothing else runs
 * yet, on a few small files of converge's own; through libuv's pool its
 * round trips (and the pool's start-up) took 5–15 ms of every start.
 */
export function readJsonDir(dir: string, unreadable: (file: string, error: unknown) => void = () => {}): unknown[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = readdirSync(dir);
  sweepTempFiles(dir, names);
  const values: unknown[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    try {
      values.push(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      // Skipped (see above), but told: what it held (a pending refresh, a reversal) is lost.
      unreadable(file, error);
    }
  }
  return values;
}

/** The warning for a state record that cannot be read: what may be lost, and what to do. */
export function unreadableRecord(file: string, what: string, error: unknown): string {
  const reason = error instanceof SyntaxError ? 'it is not valid JSON' : error instanceof Error ? error.message : String(error);
  return `cannot read ${file} (${reason}): ${what} it may hold is ignored; remove the file once you have seen to it`;
}
