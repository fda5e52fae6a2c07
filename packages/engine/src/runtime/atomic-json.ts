import { rename, writeFile } from 'node:fs/promises';

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
