import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import type { CommandSpec } from './process-group.js';

/**
 * The search path a command's program is found in when its env has no PATH:
 * libuv's (spawn) and glibc's (env, which enters a cwd as another user)
 * defaults, the same two folders.
 */
const DEFAULT_PATH = '/usr/bin:/bin';

/**
 * Why a command certainly cannot start, as a dry run can tell without
 * running it: its cwd is not there, or no file of its program's name is
 * (where spawn would look: relative to the cwd for a name with a `/`, else
 * each folder of the command's own PATH). Undefined when it may start; a
 * program that is there but cannot be run is left to the real run, whose
 * error says why. Returns the error spawn gives, for cannotStart to word it
 * as a real run would.
 */
export function whyCannotStart(spec: CommandSpec): NodeJS.ErrnoException | undefined {
  if (spec.cwd !== undefined && !existsSync(spec.cwd)) return enoent(`cwd ${spec.cwd} does not exist`);
  return programFound(spec) ? undefined : enoent(`program ${spec.argv.file} not found`);
}

function programFound({ argv, cwd, env }: CommandSpec): boolean {
  const here = (name: string): string => posix.resolve(cwd ?? process.cwd(), name);
  if (argv.file.includes('/')) return existsSync(here(argv.file));
  // An empty entry of PATH is the cwd, as for execvp.
  const folders = (env.PATH ?? DEFAULT_PATH).split(':');
  return folders.some((folder) => existsSync(here(posix.join(folder === '' ? '.' : folder, argv.file))));
}

function enoent(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: 'ENOENT' });
}
