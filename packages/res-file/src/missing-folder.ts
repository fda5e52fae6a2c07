import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { isMissingPath } from './errors.js';

/**
 * Why there is no folder to hold `path` (a write there failed with ENOENT or
 * ENOTDIR): the nearest ancestor that exists is a directory, so the folder
 * is simply missing; or it is something else (a file), which no parent
 * directory can be made under until it goes. Followed like the write was:
 * through symlinks.
 */
export async function folderProblem(path: string): Promise<{ message: string; hint?: string; missing: boolean }> {
  const folder = posix.dirname(path);
  for (let current = folder; ; current = posix.dirname(current)) {
    try {
      if ((await stat(current)).isDirectory()) return { message: `its folder ${folder} does not exist`, missing: true };
      const which = current === folder ? 'its folder' : `a parent of its folder ${folder},`;
      return {
        message: `${which} ${current} is not a directory`,
        hint: `remove or rename what is at ${current} (manage it as a directory, with a path ending in /), or fix the path`,
        missing: false,
      };
    } catch (error) {
      if (!isMissingPath(error) || current === '/') return { message: `its folder ${folder} does not exist`, missing: true };
    }
  }
}
