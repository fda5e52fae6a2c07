import { posix } from 'node:path';
import type { ValidationIssue } from '@converge/engine-api';
import { parseMode } from './mode.js';
import type { FileParams } from './params.js';
import { pathLengthProblem } from './path-limits.js';
import { fsPath, isAncestor, isCleanAbsolute, shownPath } from './paths.js';

type Issues = ValidationIssue[];

/** Where a file or symlink may still want recurse: force replaces a directory, recurse lets that delete its contents. */
const REPLACE_DIR_HINT = 'on a file or symlink, recurse only goes with force: true, to replace a directory that is not empty';

/** Said of a path with a NUL byte, which no file name can hold: absolute or not is beside the point. */
const NUL_IN_PATH = { message: 'contains a NUL byte, which no file name can hold', hint: 'remove it (a \\0 or \\x00 escape in a double-quoted YAML string writes one)' };

/** A path's problem as written: a NUL byte, or not absolute and clean; undefined when fine. */
function writtenPathProblem(what: string, path: string): { message: string; hint: string } | undefined {
  if (path.includes('\0')) return { message: `${what} ${shownPath(path)} ${NUL_IN_PATH.message}`, hint: NUL_IN_PATH.hint };
  if (!isCleanAbsolute(path)) return { message: `${what} "${shownPath(path)}" must be absolute, without . or .. segments`, hint: 'write it as /full/path' };
  return undefined;
}

function checkPaths(params: Readonly<FileParams>, issues: Issues): void {
  const pathProblem = writtenPathProblem('path', params.path);
  if (pathProblem) {
    issues.push({ param: 'path', ...pathProblem });
  } else if (fsPath(params.path) === '/') {
    issues.push({ param: 'path', message: 'the root directory / cannot be managed', hint: 'manage the directories below it instead' });
  }
  // A symlink's source is its target and may be relative (to the link's directory).
  const sourceProblem = params.source === undefined ? undefined : params.symlink ? (params.source.includes('\0') ? writtenPathProblem('source', params.source) : undefined) : writtenPathProblem('source', params.source);
  if (sourceProblem) issues.push({ param: 'source', ...sourceProblem });
  (params.fragments ?? []).forEach((fragment, index) => {
    const at = [index];
    const fragmentProblem = writtenPathProblem('fragment', fragment);
    if (fragmentProblem) {
      issues.push({ param: 'fragments', at, ...fragmentProblem });
    } else if (fragment.endsWith('/') && isAncestor(fsPath(fragment), fsPath(params.path))) {
      issues.push({ param: 'fragments', at, message: `path is inside the fragment directory ${fragment}: it would include itself`, hint: 'put the file outside that directory, or list the fragment files one by one' });
    } else if (fsPath(fragment) === fsPath(params.path)) {
      issues.push({ param: 'fragments', at, message: 'a file cannot be a fragment of itself', hint: 'remove the path from its own fragments' });
    }
  });
}

/**
 * Paths the kernel can never use: refused here, since at run time their
 * ENAMETOOLONG would only show up as a failed check and a failed watch.
 */
function checkPathLengths(params: Readonly<FileParams>, issues: Issues): void {
  const named: Array<{ param: 'path' | 'source' | 'fragments'; what: string; path: string }> = [{ param: 'path', what: 'path', path: params.path }];
  if (params.source !== undefined) named.push({ param: 'source', what: 'source', path: params.source });
  (params.fragments ?? []).forEach((fragment, index) => named.push({ param: 'fragments', what: `fragment ${index + 1}`, path: fragment }));
  for (const { param, what, path } of named) {
    const problem = pathLengthProblem(path);
    if (problem !== undefined) issues.push({ param, message: `${what} ${problem}`, hint: 'use a shorter path: the system refuses longer ones (ENAMETOOLONG)' });
  }
}

function checkContentSources(params: Readonly<FileParams>, issues: Issues): void {
  const isDir = params.path.endsWith('/');
  const given = (['content', 'source', 'fragments'] as const).filter((name) => params[name] !== undefined);
  if (given.length > 1) {
    issues.push({ param: given[1], message: `${given.join(' and ')} cannot be combined: give only one of content, source, fragments`, hint: `keep ${given[0]} and remove the others` });
  }
  if (params.state === 'absent' && given.length > 0) {
    issues.push({ param: given[0], message: `${given[0]} makes no sense with state: absent`, hint: `remove ${given[0]} to delete the file, or set state: exists to write it` });
  }
  // What a removed path would have: said rather than silently ignored.
  const attributes = (['mode', 'owner', 'group', 'purge'] as const).filter((name) => params[name] !== undefined && params[name] !== false);
  if (params.state === 'absent' && attributes.length > 0) {
    const named = attributes.join(' and ');
    issues.push({ param: attributes[0], message: `${named} make${attributes.length === 1 ? 's' : ''} no sense with state: absent`, hint: `remove ${named} to delete the path, or set state: exists to keep it` });
  }
  if (isDir && params.content !== undefined) {
    issues.push({ param: 'content', message: 'a directory (path ending in /) cannot have content', hint: 'remove the trailing / to manage a file' });
  }
  if (isDir && params.fragments !== undefined) {
    issues.push({ param: 'fragments', message: 'a directory (path ending in /) cannot be built from fragments', hint: 'remove the trailing / to build a file, or use source: with recurse: true to copy a directory' });
  }
  if (params.source !== undefined && !params.symlink) {
    const sourceIsDir = params.source.endsWith('/');
    if (sourceIsDir !== isDir) {
      issues.push({ param: 'source', message: 'path and source must both be directories (ending in /) or both be files', hint: 'end both with /, or neither' });
    } else if (sourceIsDir && !params.recurse) {
      issues.push({ param: 'recurse', message: 'copying a source directory needs recurse: true', hint: 'add recurse: true' });
    } else if (!sourceIsDir && params.recurse && !params.force) {
      issues.push({ param: 'recurse', message: 'recurse makes no sense when copying a single file', hint: REPLACE_DIR_HINT });
    }
    checkNestedCopy(params, issues);
  } else if (!isDir && !params.symlink && params.recurse && !params.force && params.state !== 'absent') {
    // It would do nothing: said, so that it is not taken for "make the missing folders".
    issues.push({ param: 'recurse', message: 'recurse does nothing for a file', hint: `${REPLACE_DIR_HINT}; to make a missing folder, manage it as a file resource whose path ends in /` });
  }
}

/**
 * A copy whose source and path overlap feeds on itself: a path inside its
 * source copies into itself again at every level (until names grow too
 * long), and a source inside its path is purged or overwritten by its own
 * copy.
 */
function checkNestedCopy(params: Readonly<FileParams>, issues: Issues): void {
  if (params.source === undefined || !isCleanAbsolute(params.source) || !isCleanAbsolute(params.path)) return;
  const source = fsPath(params.source);
  const path = fsPath(params.path);
  if (source === path) {
    issues.push({ param: 'source', message: 'source is the path itself: there is nothing to copy', hint: 'give a source elsewhere, or remove source' });
  } else if (isAncestor(source, path)) {
    issues.push({ param: 'source', message: `path is inside its source ${params.source}: the copy would copy itself, level after level`, hint: 'copy to a path outside the source' });
  } else if (isAncestor(path, source)) {
    issues.push({ param: 'source', message: `source is inside path ${params.path}: the copy would overwrite${params.purge ? ' (and purge)' : ''} its own source`, hint: 'keep the source outside the path' });
  }
}

function checkSymlink(params: Readonly<FileParams>, issues: Issues): void {
  if (!params.symlink) return;
  if (params.source === undefined && params.state !== 'absent') {
    issues.push({ param: 'source', message: 'symlink needs source: the path the link points to', hint: 'add source: /the/target' });
  }
  if (params.path.endsWith('/')) {
    issues.push({ param: 'path', message: 'a symlink path must not end in /', hint: 'the link itself is not a directory' });
  }
  // Relative to the link's folder, as the link resolves it (`source: self` on /srv/self too).
  if (params.source !== undefined && params.source !== '' && isCleanAbsolute(params.path) && posix.resolve(posix.dirname(fsPath(params.path)), params.source) === fsPath(params.path)) {
    issues.push({ param: 'source', message: 'a symlink cannot point to itself', hint: 'give the path the link should point to' });
  }
  for (const name of ['content', 'fragments', 'recurse', 'purge', 'mode'] as const) {
    // With force, recurse lets the link replace a directory that is not empty.
    if (name === 'recurse' && params.force) continue;
    if (params[name] !== undefined && params[name] !== false) {
      issues.push({ param: name, message: `${name} cannot be used with symlink`, ...(name === 'recurse' ? { hint: REPLACE_DIR_HINT } : {}) });
    }
  }
}

function checkPurge(params: Readonly<FileParams>, issues: Issues): void {
  if (!params.purge) return;
  if (!params.path.endsWith('/')) {
    issues.push({ param: 'purge', message: 'purge needs a directory (path ending in /)', hint: 'end the path with /, or remove purge' });
  }
  if (!params.recurse) issues.push({ param: 'purge', message: 'purge needs recurse: true', hint: 'add recurse: true' });
}

/** The largest uid or gid: 4294967295 (-1) is chown's "leave as it is". */
const LARGEST_ID = 4294967294;

/** A numeric owner or group written as digits must be an id a file can have. */
function checkIds(params: Readonly<FileParams>, issues: Issues): void {
  for (const param of ['owner', 'group'] as const) {
    const value = params[param];
    if ((typeof value === 'string' && value.startsWith('-')) || (typeof value === 'number' && value < 0)) {
      // getent would read it as an option (QA: -sfiles lists every user, root first); no user or group name starts so.
      issues.push({ param, message: `${param} ${JSON.stringify(value)} is not a ${param === 'owner' ? 'user' : 'group'} name or id`, hint: `write a ${param === 'owner' ? 'user' : 'group'} name, or an id from 0 to ${LARGEST_ID}` });
      continue;
    }
    if (typeof value === 'string' && /[:\s]/.test(value)) {
      // `root:root` (chown's form) or a stray space: no user or group has such a name.
      issues.push({ param, message: `${param} ${JSON.stringify(value)} is not a ${param === 'owner' ? 'user' : 'group'} name`, hint: param === 'owner' && value.includes(':') ? 'give the user in owner and the group in group: owner: root, group: root' : `write one ${param === 'owner' ? 'user' : 'group'} name or id` });
      continue;
    }
    if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) <= LARGEST_ID) continue;
    issues.push({ param, message: `${param} ${value} is not an id a file can have (at most ${LARGEST_ID})`, hint: `write a ${param === 'owner' ? 'user' : 'group'} name or an id from 0 to ${LARGEST_ID}` });
  }
}

/**
 * Content without `state` is written only into a file that is there: a
 * missing one is left missing and the resource counts as converged (mgmt
 * fails the check instead). Said at load, or a user who left `state` out
 * sees "converged" and no file. Owner, group and mode alone are not: setting
 * them on whatever is there is what leaving `state` out is for.
 */
function checkStateLeftOut(params: Readonly<FileParams>, issues: Issues): void {
  if (params.state !== undefined && params.state !== '') return;
  const what = params.symlink ? 'symlink' : params.content !== undefined ? 'content' : params.source !== undefined ? 'source' : params.fragments !== undefined ? 'fragments' : undefined;
  if (what === undefined) return;
  issues.push({
    param: what,
    message: `${what} without state: a missing ${params.symlink ? 'link' : params.path.endsWith('/') ? 'folder' : 'file'} is left missing (and counts as converged); only one that is there is changed`,
    hint: 'add state: exists to create it',
    severity: 'warning',
  });
}

/** The conflicts and bad values a graph can have in a file resource. Pure. */
export function validateFile(params: Readonly<FileParams>): ValidationIssue[] {
  const issues: Issues = [];
  checkPaths(params, issues);
  checkPathLengths(params, issues);
  checkContentSources(params, issues);
  checkSymlink(params, issues);
  checkPurge(params, issues);
  checkIds(params, issues);
  checkStateLeftOut(params, issues);
  if (params.mode !== undefined) {
    const parsed = parseMode(params.mode);
    if (typeof parsed === 'string') {
      issues.push({ param: 'mode', message: parsed, hint: 'write an octal mode such as "0640", or who=perms clauses such as u=rw,g=r,o= (+ and - are not declarative: spell out the bits)' });
    }
  }
  return issues;
}
