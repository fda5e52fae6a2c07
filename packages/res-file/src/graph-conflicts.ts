import type { GraphValidationIssue, KindResource } from '@converge/engine-api';
import { hostSystemLinks, type SystemLinks } from '@converge/system-paths';
import type { FileParams } from './params.js';
import { wantedKind } from './params.js';
import { fsPath, isAncestor } from './paths.js';

/** A resource that leaves no room for anything below its path: removed, or kept as a plain file. */
interface Blocker {
  readonly name: string;
  /** Its path as the graph writes it (normalized only): what a message names. */
  readonly written: string;
  readonly absent: boolean;
}

/**
 * File resources of one graph that contradict each other: one that must
 * exist inside a path another removes (`state: absent`), or inside a path
 * another keeps as a plain file. Run, each would undo the other's work on
 * every check (or fail at run time, after the rest was applied); found here,
 * the graph is refused before anything runs. Told at the inner resource.
 *
 * Paths are compared through the system's own links, as a file resource's
 * identity is (`/lib/x` is `/usr/lib/x` on a merged /usr), or
 * `file[/lib/x]` removed would pass beside `file[/usr/lib/x/y]` kept.
 * `links` are the host's, but for tests.
 */
export function fileGraphConflicts(resources: readonly KindResource<FileParams>[], links: SystemLinks = hostSystemLinks): GraphValidationIssue[] {
  const blockers = new Map<string, Blocker>();
  const written: string[] = new Array<string>(resources.length);
  const paths: string[] = new Array<string>(resources.length);
  for (let i = 0; i < resources.length; i++) {
    const { name, params } = resources[i] as KindResource<FileParams>;
    written[i] = fsPath(params.path);
    const path = links.through(written[i] as string);
    paths[i] = path;
    const absent = params.state === 'absent';
    if (absent || (params.state === 'exists' && wantedKind(params) === 'file')) blockers.set(path, { name, written: written[i] as string, absent });
  }
  if (blockers.size === 0) return [];
  const issues: GraphValidationIssue[] = [];
  // The blocker above each folder, found once per folder (10,000 files sit in a few hundred folders).
  const above = new Map<string, readonly [string, Blocker] | null>();
  const blockerAbove = (folder: string): readonly [string, Blocker] | null => {
    if (folder === '') return null;
    let found = above.get(folder);
    if (found !== undefined) return found;
    const blocker = blockers.get(folder);
    found = blocker === undefined ? blockerAbove(folder.slice(0, folder.lastIndexOf('/'))) : [folder, blocker];
    above.set(folder, found);
    return found;
  };
  for (let index = 0; index < resources.length; index++) {
    if ((resources[index] as KindResource<FileParams>).params.state !== 'exists') continue;
    const own = paths[index] as string;
    const found = blockerAbove(own.slice(0, own.lastIndexOf('/')));
    if (found === null) continue;
    const [real, blocker] = found;
    const inside = written[index] as string;
    // Spelled through a system link on one side only: say where it leads, or the two paths look unrelated.
    const leads = [[blocker.written, real], [inside, own]].filter(([path, key]) => path !== key).map(([path, key]) => `${path} is ${key}`);
    const through = isAncestor(blocker.written, inside) ? '' : ` (${leads.join(', ')}, through the system's links)`;
    issues.push({
      resource: index,
      param: 'state',
      message: blocker.absent
        ? `must exist inside ${blocker.written}${through}, which file[${blocker.name}] removes (state: absent)`
        : `must exist inside ${blocker.written}${through}, which file[${blocker.name}] keeps as a file (a folder's path ends with /)`,
      hint: blocker.absent
        ? 'keep one of the two: remove this resource, or the state: absent of the other'
        : `if ${blocker.written} is meant to be a folder, write its path with a trailing slash (${blocker.written}/)`,
    });
  }
  return issues;
}
