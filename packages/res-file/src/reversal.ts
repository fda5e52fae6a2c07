import { readlink } from 'node:fs/promises';
import { normalizePath } from '@converge/system-paths';
import { fileError } from './errors.js';
import type { ErrorSite } from './errors.js';
import { lstatEntry, readNoFollow } from './fs-state.js';
import { formatMode } from './mode.js';
import { missingParents } from './created-parents.js';
import type { FileParams, RecordedParams } from './params.js';
import { wantedKind } from './params.js';
import { fsPath } from './paths.js';

/**
 * A recorded file's content lives in the state dir as JSON text, all of it
 * read when converge starts: a larger file is refused, not copied there.
 */
const MAX_RECORDED_BYTES = 16 << 20;

/**
 * Params that put `params.path` back the way it is now, read before the
 * resource's first apply: removed if nothing is there; otherwise the same
 * kind, with the content, mode, owner and group it has now — each only when
 * this resource manages it, all of them when it removes the entry or
 * replaces it by another kind. A directory's contents are not recorded: a
 * directory that was there keeps what a copy added; one that was not, and
 * that a recursive copy filled, is removed with it. The folders above it
 * that a directory with `recurse` is about to make are named too, to be
 * removed when empty.
 */
export async function priorStateParams(params: Readonly<FileParams>, site: ErrorSite): Promise<RecordedParams> {
  const path = fsPath(params.path);
  const entry = await lstatEntry(path);
  if (entry === undefined) {
    const created = params.symlink ? path : normalizePath(params.path);
    // A directory this resource creates by copying a tree into it goes with
    // what it copied: without recurse its removal would fail on every run.
    // Any other directory it creates is removed only when empty.
    const copiedTree = wantedKind(params) === 'dir' && params.source !== undefined && params.recurse === true;
    // Only a directory makes its missing parents (a file or symlink is refused without its folder).
    const makesParents = wantedKind(params) === 'dir' && params.state === 'exists' && params.recurse === true;
    const parents = makesParents ? await missingParents(path) : [];
    return {
      path: created,
      state: 'absent',
      ...(params.symlink ? { symlink: true } : {}),
      ...(copiedTree ? { recurse: true } : {}),
      ...(parents.length > 0 ? { createdParents: parents } : {}),
    };
  }
  const want = wantedKind(params);
  const force = entry.kind !== want ? { force: true } : {};
  if (entry.kind === 'symlink') {
    return { path, state: 'exists', symlink: true, source: await readlink(path), ...force };
  }
  if (entry.kind === 'other') {
    throw fileError(site, `${path} is a special file; it cannot be recorded for reversal`, 'remove meta: {reverse: true}');
  }
  // What this resource removes or replaces by another kind comes back whole:
  // a secret deleted with `state: absent` must not return world-readable.
  const replaces = params.state === 'absent' || want !== entry.kind;
  const recorded: FileParams = {
    path: normalizePath(path, entry.kind === 'dir'),
    state: 'exists',
    ...force,
    ...(params.owner === undefined && !replaces ? {} : { owner: String(entry.uid) }),
    ...(params.group === undefined && !replaces ? {} : { group: String(entry.gid) }),
    ...(params.mode === undefined && !replaces ? {} : { mode: formatMode(entry.mode) }),
  };
  // Content is recorded whenever this resource may change or remove it.
  const touchesContent =
    params.content !== undefined || params.fragments !== undefined || params.source !== undefined || params.state === 'absent';
  if (entry.kind === 'file' && (touchesContent || want !== 'file')) {
    if (entry.size > MAX_RECORDED_BYTES) {
      throw fileError(site, `${path} is ${entry.size} bytes; at most ${MAX_RECORDED_BYTES} can be recorded for reversal`, 'keep a copy of it yourself and remove meta: {reverse: true}');
    }
    const bytes = await readNoFollow(path);
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) {
      throw fileError(site, `${path} holds bytes that are not UTF-8 text; they cannot be recorded for reversal`, 'remove meta: {reverse: true}');
    }
    return { ...recorded, content: text };
  }
  return recorded;
}

/**
 * A stored reversal met by the resource as it is now (see ReversibleTrait.extend).
 * What was recorded stays; what the resource manages since is added as it
 * is now (untouched so far). A recorded absence is complete: putting it
 * back removes the path, whatever else it had, and the folders it names as
 * made. Folders missing now were not missing when the record was made (the
 * path was there then), so a fresh record's are not taken.
 */
export function extendedReversal(stored: Readonly<RecordedParams>, fresh: Readonly<RecordedParams>): RecordedParams {
  if (stored.state === 'absent') return { ...stored };
  const { createdParents: _missingSince, ...now } = fresh;
  return { ...now, ...stored };
}
