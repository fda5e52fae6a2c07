import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
export async function sweepTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (/\.\d+\.tmp$/.test(name)) await rm(join(dir, name), { force: true });
  }
}

/**
 * A state store's folder, made if missing (0700), with temp files of killed
 * writers swept away, and every JSON file in it parsed. A torn or foreign
 * file is skipped: writes are atomic, so only someone else writes those.
 */
export async function readJsonDir(dir: string): Promise<unknown[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await sweepTempFiles(dir);
  const values: unknown[] = [];
  for (const entry of await readdir(dir)) {
    if (!entry.endsWith('.json')) continue;
    try {
      values.push(JSON.parse(await readFile(join(dir, entry), 'utf8')));
    } catch {
      // Skipped: see above.
    }
  }
  return values;
}
