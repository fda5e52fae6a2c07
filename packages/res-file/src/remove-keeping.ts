import { lstat, readdir, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { errnoCode } from './errors.js';
import type { ManagedFile } from './managed-paths.js';
import { inPinnedFolder } from './pinned-folder.js';
import type { LinkRule } from './pinned-folder.js';
import { fsPath, isAncestor } from './paths.js';

/** What another file resource keeps at a path inside a tree a reversal removes. */
export interface KeptPath {
  readonly path: string;
  /** It keeps what is inside too: a folder it copies a source into, a file, a link (never followed). */
  readonly whole: boolean;
}

/**
 * The paths in the folder `root` (or `root` itself) that other file
 * resources (`others`: the running ones, and those of the graph about to
 * run) manage and do not remove. A folder one of them copies a source into
 * is kept with what is in it; any other folder only with what is managed
 * inside it.
 */
export function keptInside(root: string, others: Iterable<ManagedFile>): KeptPath[] {
  const kept: KeptPath[] = [];
  for (const file of others) {
    if (file.state === 'absent') continue;
    const path = fsPath(file.path);
    if (path !== root && !isAncestor(root, path)) continue;
    const isDir = file.path.endsWith('/') && !file.symlink;
    kept.push({ path, whole: !isDir || (file.recurse === true && file.source !== undefined) });
  }
  return kept;
}

export interface RemoveKeepingOptions {
  readonly apply: boolean;
  readonly links: LinkRule;
  readonly log: (message: string) => void;
}

/** The name as text when it is UTF-8 (a graph path can only match such a name). */
function asText(name: Buffer): string | undefined {
  const text = name.toString('utf8');
  return Buffer.from(text, 'utf8').equals(name) ? text : undefined;
}

/**
 * Removes what is in the folder `root`, except the `kept` paths and the
 * folders on the way to them (which stay even when empty: a file resource
 * does not make its folder). `root` itself is on the way, so it stays. A
 * folder on the way that is something else now (a symlink) is left as it
 * is, never followed. Each folder's entries are removed through the folder
 * as opened (never through a symlink swapped in for it). Returns true when
 * there was nothing to remove; with `apply` false, only says so.
 */
export async function removeTreeKeeping(root: string, kept: readonly KeptPath[], options: RemoveKeepingOptions): Promise<boolean> {
  let untouched = true;
  const walk = async (folder: string, keepAll: boolean): Promise<void> => {
    if (keepAll) return;
    let names: Buffer[];
    try {
      names = await readdir(folder, { encoding: 'buffer' });
    } catch (error) {
      // Gone meanwhile, or no folder any more: nothing of it to remove here.
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return;
      throw error;
    }
    const removing: Buffer[] = [];
    for (const name of names) {
      const text = asText(name);
      const path = text === undefined ? undefined : posix.join(folder, text);
      const exact = path === undefined ? undefined : kept.find((keep) => keep.path === path);
      const onTheWay = path !== undefined && kept.some((keep) => isAncestor(path, keep.path));
      if (path !== undefined && (exact !== undefined || onTheWay)) {
        const stats = await lstat(path).catch(() => undefined);
        if (stats?.isDirectory()) await walk(path, exact?.whole === true);
        continue;
      }
      removing.push(name);
    }
    if (removing.length === 0) return;
    untouched = false;
    if (!options.apply) return;
    // Through the folder as opened: a name under `placeholder` stands for each entry.
    await inPinnedFolder(posix.join(folder, 'placeholder'), options.links, async (pinned) => {
      const base = Buffer.from(pinned.slice(0, -'placeholder'.length));
      for (const name of removing) {
        options.log(`removing ${posix.join(folder, name.toString('utf8'))}`);
        await rm(Buffer.concat([base, name]), { recursive: true, force: true });
      }
    });
  };
  await walk(root, kept.some((keep) => keep.path === root && keep.whole));
  if (!untouched && options.apply) options.log(`kept directory ${root}: other file resources manage what is left in it`);
  return untouched;
}
