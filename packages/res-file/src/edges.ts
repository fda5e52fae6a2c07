import type { AutoEdgeCandidate, AutoEdgeSearch, ResourceUid } from '@converge/engine-api';
import { posix } from 'node:path';
import type { FileParams } from './params.js';
import { ancestorDirs, fsPath, normalizePath } from './paths.js';

const uid = (key: string): AutoEdgeCandidate => ({ kind: 'file', key });

/**
 * A folder whose files a resource reads (a fragments directory, a copied
 * source directory), keyed as the folder: any managed file inside it must
 * be written before the reader runs.
 */
const INPUT_FOLDER = 'file-input-folder';

/** The folders whose files this resource reads, each with a trailing slash. */
function inputFolders(params: Readonly<FileParams>): string[] {
  const folders = (params.fragments ?? []).filter((fragment) => fragment.endsWith('/')).map((fragment) => normalizePath(fragment));
  if (params.source !== undefined && params.recurse && !params.symlink) folders.push(normalizePath(params.source, true));
  return folders;
}

/**
 * A file resource is known by its normalized path; directories keep their
 * trailing slash. A resource that reads whole folders is also known by those.
 */
export function fileUids(params: Readonly<FileParams>): ResourceUid[] {
  const own = uid(params.symlink ? fsPath(params.path) : normalizePath(params.path));
  const folders = inputFolders(params);
  if (folders.length === 0) return [own];
  return [own, ...folders.map((folder) => ({ kind: INPUT_FOLDER, key: folder }))];
}

/** The resources that read a folder this path is inside: they run after this one. */
function readerCandidates(params: Readonly<FileParams>): AutoEdgeCandidate[] {
  return [...ancestorDirs(params.path)].map((dir) => ({ kind: INPUT_FOLDER, key: dir, reversed: true }));
}

/** The paths whose file resources must run before this one: fragments, the source, a link's target. */
function inputCandidates(params: Readonly<FileParams>): AutoEdgeCandidate[] {
  const inputs = (params.fragments ?? []).map((fragment) => uid(normalizePath(fragment)));
  if (params.source === undefined) return inputs;
  if (!params.symlink) return [...inputs, uid(normalizePath(params.source))];
  // A link's target may be relative, and may be a file or a directory resource.
  const target = posix.resolve(posix.dirname(fsPath(params.path)), params.source);
  return [...inputs, uid(fsPath(target)), uid(normalizePath(target, true))];
}

/**
 * Inputs first (all at once), then the resources that read a folder this
 * path is in (fragments directories, copied sources: they run after it),
 * then the nearest managed ancestor directory (or symlink the path goes
 * through): the parent, and only if it is not managed the grandparent, and
 * so on up to `/`. Matched inputs and ancestors run before this one.
 */
export function* fileAutoEdges(params: Readonly<FileParams>): AutoEdgeSearch {
  const inputs = inputCandidates(params);
  if (inputs.length > 0) yield inputs;
  yield readerCandidates(params);
  for (const dir of ancestorDirs(params.path)) {
    // A managed directory, or a managed symlink (`symlink: true`) this path goes through: made first.
    const bare = fsPath(dir);
    const [directory, link] = yield bare === dir ? [uid(dir)] : [uid(dir), uid(bare)];
    if (directory || link) return;
  }
}
