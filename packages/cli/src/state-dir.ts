import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { defaultStatePrefix } from './options.js';
import type { Reporter } from './reporter.js';
import { checkFoldersAbove, checkStateDirTrusted, StateDirUntrustedError } from './state-dir-trust.js';
import { lockStateDir, StateDirInUseError } from './state-lock.js';

export interface StateDir {
  readonly path: string;
  /** Removes the directory when it was a fresh temporary one; keeps it otherwise. */
  dispose(): Promise<void>;
}

/**
 * The engine's state directory: `--tmp-prefix` makes a fresh one that is
 * removed at exit (nobody could find it again), `--prefix` or the default
 * is created if missing and kept, since it holds state meant to outlive a run
 * (pending refreshes, the local world), and held by this run alone (see
 * lockStateDir).
 */
export async function openStateDir(options: { prefix?: string; tmpPrefix?: boolean }): Promise<StateDir> {
  if (options.tmpPrefix) {
    // The temp folder is trusted as a --prefix is (QA: a TMPDIR of another user's was used).
    await checkFoldersAbove(join(tmpdir(), 'converge-')).catch((error: unknown) => {
      throw error instanceof StateDirUntrustedError ? new StateDirUntrustedError(error.message, 'set TMPDIR to a folder no other user may change, or give --prefix DIR') : error;
    });
    const path = await mkdtemp(join(tmpdir(), 'converge-'));
    // Also when the process exits without disposing (a third stop signal
    // exits at once): it may hold a saved password, and nobody could find
    // it again to remove it.
    const removeAtExit = (): void => rmSync(path, { recursive: true, force: true });
    process.once('exit', removeAtExit);
    return {
      path,
      dispose: async () => {
        // Removed first, the exit hook after: a signal that exits at once meanwhile still has it to run.
        await rm(path, { recursive: true, force: true });
        process.removeListener('exit', removeAtExit);
      },
    };
  }
  const given = resolve(options.prefix ?? defaultStatePrefix());
  // Before anything is made there (QA: a refused run left a folder of root's in another user's).
  await checkFoldersAbove(given);
  await makeDirs(given);
  if (!(await stat(given)).isDirectory()) throw new Error(`${given} is not a directory`);
  const path = await checkStateDirTrusted(given);
  const unlock = lockStateDir(path);
  return { path, dispose: async () => unlock() };
}

const errnoOf = (error: unknown): unknown => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * `mkdir -p` (0700), one level at a time. Node's own recursive mkdir never
 * returns for a path under /proc (it retries ENOENT for ever), so a typo in
 * --prefix hung the command instead of failing it.
 */
async function makeDirs(path: string): Promise<void> {
  const missing: string[] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    const found = await stat(dir).catch((error: unknown) => {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw error;
    });
    if (found) break;
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) {
    await mkdir(dir, { mode: 0o700 }).catch((error: unknown) => {
      if (errnoOf(error) !== 'EEXIST') throw error;
    });
  }
}

/**
 * Opens the state directory for a run, or says why it cannot be used (and
 * what to do) and returns undefined: the command then exits with 2.
 */
export async function openStateDirOrReport(flags: Parameters<typeof openStateDir>[0], reporter: Pick<Reporter, 'failure'>): Promise<StateDir | undefined> {
  try {
    return await openStateDir(flags);
  } catch (error) {
    const hint =
      error instanceof StateDirInUseError
        ? 'stop that run first, or give this one its own --prefix DIR (or --tmp-prefix)'
        : error instanceof StateDirUntrustedError
          ? error.hint
          : 'choose another with --prefix DIR, or use --tmp-prefix';
    reporter.failure({ code: 'ERR_STATE_DIR', message: `cannot use the state directory: ${error instanceof Error ? error.message : String(error)}`, hint });
    return undefined;
  }
}
