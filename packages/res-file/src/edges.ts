import type { AutoEdgeCandidate, AutoEdgeSearch, ResourceUid } from '@converge/engine-api';
import { hostSystemLinks, type SystemLinks } from '@converge/system-paths';
import { posix } from 'node:path';
import type { FileParams } from './params.js';
import { ancestorDirs, fsPath } from './paths.js';

const uid = (key: string): AutoEdgeCandidate => ({ kind: 'file', key });

/**
 * A folder whose files a resource reads (a fragments directory, a copied
 * source directory), keyed as the folder: any managed file inside it must
 * be written before the reader runs.
 */
const INPUT_FOLDER = 'file-input-folder';

/** The folders whose files this resource reads, each with a trailing slash. */
function inputFolders(params: Readonly<FileParams>, links: SystemLinks): string[] {
  const folders = (params.fragments ?? []).filter((fragment) => fragment.endsWith('/')).map((fragment) => links.systemPath(fragment, true));
  if (params.source !== undefined && params.recurse && !params.symlink) folders.push(links.systemPath(params.source, true));
  return folders;
}

/** The key of the resource's own path: a symlink resource is the link itself (no trailing slash). */
function ownKey(params: Readonly<FileParams>, links: SystemLinks): string {
  return params.symlink ? links.systemPath(params.path, false) : links.systemPath(params.path);
}

/**
 * A file resource is known by its path as `SystemLinks.systemPath` gives it: normalized,
 * through the system's own links (`/lib/x` is `/usr/lib/x` on a merged-/usr
 * system), directories with their trailing slash; so is every path another
 * resource looks for. A resource that reads whole folders is also known by
 * those. `links` are the host's, but for tests.
 */
export function fileUids(params: Readonly<FileParams>, links: SystemLinks = hostSystemLinks): ResourceUid[] {
  const own = uid(ownKey(params, links));
  const folders = inputFolders(params, links);
  if (folders.length === 0) return [own];
  return [own, ...folders.map((folder) => ({ kind: INPUT_FOLDER, key: folder }))];
}

/** The resources that read a folder this path is inside: they run after this one. */
function readerCandidates(ancestors: readonly string[]): AutoEdgeCandidate[] {
  return ancestors.map((dir) => ({ kind: INPUT_FOLDER, key: dir, reversed: true }));
}

/** The paths whose file resources must run before this one: fragments, the source, a link's target. */
function inputCandidates(params: Readonly<FileParams>, own: string, links: SystemLinks): AutoEdgeCandidate[] {
  const inputs = (params.fragments ?? []).map((fragment) => uid(links.systemPath(fragment)));
  if (params.source === undefined) return inputs;
  if (!params.symlink) return [...inputs, uid(links.systemPath(params.source))];
  // A link's target may be relative (to the folder the link really is in, as the kernel reads it), and may be a file or a directory resource.
  const target = posix.resolve(posix.dirname(own), params.source);
  return [...inputs, uid(links.systemPath(target, false)), uid(links.systemPath(target, true))];
}

/**
 * Inputs first (all at once), then the resources that read a folder this
 * path is in (fragments directories, copied sources: they run after it),
 * then the nearest managed ancestor directory (or symlink the path goes
 * through): the parent, and only if it is not managed the grandparent, and
 * so on up to `/`. Matched inputs and ancestors run before this one.
 */
export function* fileAutoEdges(params: Readonly<FileParams>, links: SystemLinks = hostSystemLinks): AutoEdgeSearch {
  const own = ownKey(params, links);
  const inputs = inputCandidates(params, fsPath(own), links);
  if (inputs.length > 0) yield inputs;
  const ancestors = [...ancestorDirs(own)];
  yield readerCandidates(ancestors);
  for (const dir of ancestors) {
    // A managed directory, or a managed symlink (`symlink: true`) this path goes through: made first.
    const bare = fsPath(dir);
    const [directory, link] = yield bare === dir ? [uid(dir)] : [uid(dir), uid(bare)];
    if (directory || link) return;
  }
}
