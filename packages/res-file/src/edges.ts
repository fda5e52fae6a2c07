import type { AutoEdgeCandidate, AutoEdgeSearch, ResourceUid } from '@converge/engine-api';
import { posix } from 'node:path';
import type { FileParams } from './params.js';
import { ancestorDirs, fsPath, normalizePath } from './paths.js';

const uid = (key: string): AutoEdgeCandidate => ({ kind: 'file', key });

/** A file resource is known by its normalized path; directories keep their trailing slash. */
export function fileUids(params: Readonly<FileParams>): ResourceUid[] {
  return [uid(params.symlink ? fsPath(params.path) : normalizePath(params.path))];
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
 * Inputs first (all at once), then the nearest managed ancestor directory:
 * the parent, and only if it is not managed the grandparent, and so on up
 * to `/`. Matched resources run before this one.
 */
export function* fileAutoEdges(params: Readonly<FileParams>): AutoEdgeSearch {
  const inputs = inputCandidates(params);
  if (inputs.length > 0) yield inputs;
  for (const dir of ancestorDirs(params.path)) {
    const [matched] = yield [uid(dir)];
    if (matched) return;
  }
}
