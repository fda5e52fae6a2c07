import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** util-linux's setpriv, on every Debian: it sets the death signal, then runs the command in its place. */
const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `name` is found on PATH, if it is. */
export function onPath(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  return path
    .split(delimiter)
    .filter((folder) => folder !== '')
    .map((folder) => join(folder, name))
    .find(isExecutable);
}

/**
 * The command line that runs `argv` so that it is sent SIGTERM when this
 * process dies, a `kill -9` included: a helper that follows events for as
 * long as converge runs (`virsh event --loop`) would otherwise outlive it,
 * until its next write found no reader (QA: one per domain after a kill -9).
 * As it is where setpriv is missing.
 */
export function dyingWithParent(argv: readonly [string, ...string[]]): [string, ...string[]] {
  const setpriv = SETPRIV_PATHS.find(isExecutable);
  return setpriv === undefined ? [...argv] : [setpriv, '--pdeathsig', 'TERM', '--', ...argv];
}
