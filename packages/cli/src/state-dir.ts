import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultStatePrefix } from './options.js';

export interface StateDir {
  readonly path: string;
  /** Removes the directory when it was a fresh temporary one; keeps it otherwise. */
  dispose(): Promise<void>;
}

/**
 * The engine's state directory: `--tmp-prefix` makes a fresh one that is
 * removed at exit (nobody could find it again), `--prefix` or the default
 * is created if missing and kept, since it holds state meant to outlive a run
 * (pending refreshes, the local world).
 */
export async function openStateDir(options: { prefix?: string; tmpPrefix?: boolean }): Promise<StateDir> {
  if (options.tmpPrefix) {
    const path = await mkdtemp(join(tmpdir(), 'converge-'));
    return { path, dispose: () => rm(path, { recursive: true, force: true }) };
  }
  const path = resolve(options.prefix ?? defaultStatePrefix());
  await mkdir(path, { recursive: true, mode: 0o700 });
  return { path, dispose: async () => {} };
}

/**
 * Opens the state directory for a run, or says why it cannot be used (and
 * what to do) and returns undefined: the command then exits with 2.
 */
export async function openStateDirOrReport(
  flags: Parameters<typeof openStateDir>[0],
  say: (message: string) => void,
): Promise<StateDir | undefined> {
  try {
    return await openStateDir(flags);
  } catch (error) {
    say(`cannot use the state directory: ${error instanceof Error ? error.message : String(error)}`);
    say('hint: choose another with --prefix DIR, or use --tmp-prefix');
    return undefined;
  }
}
