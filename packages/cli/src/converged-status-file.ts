import { appendFile } from 'node:fs/promises';
import type { Engine } from '@converge/engine';

/** A file output of a run: `close` stops it and waits for what it is writing. */
export interface RunFile {
  close(): Promise<void>;
}

/**
 * `--converged-status-file PATH` (mgmt's flag): appends `true` or `false` on
 * a line of its own each time the graph becomes converged or stops being so,
 * as mgmt does, so the last line is the current state and scripts written
 * for mgmt (`tail -n 1`) read it the same. Nothing is written before the
 * first convergence (not converged is where a run starts). Each line is one
 * append: a reader never sees half of one.
 *
 * Opened (created) before anything runs: a path that cannot be written
 * throws then, and the run stops before applying anything. A write that
 * fails later is told once and the run goes on.
 */
export async function startConvergedStatusFile(
  engine: Pick<Engine, 'converged'>,
  path: string,
  say: (message: string) => void,
): Promise<RunFile> {
  await appendFile(path, '');
  const stopped = new AbortController();
  const watcher = engine.converged.watch();
  let written = false;
  let failed = false;
  const record = async (converged: boolean): Promise<void> => {
    if (converged === written) return;
    written = converged;
    try {
      await appendFile(path, `${converged}\n`);
    } catch (error) {
      if (!failed) say(`cannot write the converged status to ${path}: ${error instanceof Error ? error.message : String(error)}`);
      failed = true;
    }
  };
  const loop = (async () => {
    try {
      await record(engine.converged.get());
      for (;;) await record(await watcher.next(stopped.signal));
    } catch {
      // Stopped.
    } finally {
      watcher.close();
    }
  })();
  return {
    close: async () => {
      stopped.abort();
      await loop;
    },
  };
}
