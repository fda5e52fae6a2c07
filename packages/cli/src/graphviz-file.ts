import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Engine } from '@converge/engine';
import type { RunFile } from './converged-status-file.js';
import { renderDot } from './render/dot.js';
import { topologyView } from './ui/live-view-model.js';

/**
 * `--graphviz FILE` (mgmt's flag): writes the running graph in Graphviz dot,
 * as `converge graph` prints it (autoedges and groups included, ids only,
 * never param values), each time a graph starts running: at the start and
 * after every reload. Written to a temporary file and renamed over FILE, so
 * a viewer that reloads on change (xdot) never reads half a graph. Both
 * synchronously, in the turn that tells of the swap: a forced stop (a third
 * signal exits at once) then never comes between them, and no FILE.PID.tmp
 * is left behind (QA). The dot of a graph is small (ids only): a large
 * graph's takes a millisecond or two.
 *
 * Its folder is checked before anything runs (a path that cannot be written
 * throws then, and the run stops before applying anything); a write that
 * fails later is told once and the run goes on.
 */
export async function startGraphvizFile(
  engine: Pick<Engine, 'onEvent' | 'topology'>,
  path: string,
  graphName: string,
  say: (message: string) => void,
): Promise<RunFile> {
  if ((await stat(path).catch(() => undefined))?.isDirectory()) throw new Error(`${path} is a folder`);
  await access(dirname(path), constants.W_OK);
  const temporary = `${path}.${process.pid}.tmp`;
  let failed = false;
  const write = (): void => {
    try {
      writeFileSync(temporary, renderDot(topologyView(graphName, engine.topology())));
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      if (!failed) say(`cannot write the graph to ${path}: ${error instanceof Error ? error.message : String(error)}`);
      failed = true;
    }
  };
  const unsubscribe = engine.onEvent((event) => {
    if (event.type === 'swap') write();
  });
  return {
    close: () => {
      unsubscribe();
      return Promise.resolve();
    },
  };
}
