import { realpathSync, statSync, watch as watchFolder } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { posix } from 'node:path';
import { isMissingPath } from './errors.js';

/** Which folder a path named when its watch began: the inode, and where the path really led. */
export interface FolderIdentity {
  readonly ino: number;
  readonly real: string;
}

/** A folder's own watch, and the folder it is on. */
export interface FolderWatch extends FolderIdentity {
  readonly watcher: FSWatcher;
}

/** The identity of the folder at `path` now; undefined when there is none. */
export function identityOf(path: string): FolderIdentity | undefined {
  try {
    return { ino: statSync(path).ino, real: realpathSync.native(path) };
  } catch {
    return undefined;
  }
}

/** Whether `watched` (undefined: nothing was there) is no longer the folder at `path`. */
export function isReplaced(path: string, watched: FolderIdentity | undefined): boolean {
  const now = identityOf(path);
  return now?.ino !== watched?.ino || now?.real !== watched?.real;
}

/**
 * The paths a raw fs.watch event may be about: the entry `name` of a watched
 * directory, or the watched path itself (a watched file reports its own
 * name, which a directory's child can share, so both are told then).
 */
export function rawEventPaths(watchedPath: string, name: string | null): string[] {
  if (name === null || name === '') return [watchedPath];
  const child = posix.join(watchedPath, name);
  return posix.basename(watchedPath) === name ? [child, watchedPath] : [child];
}

/** The path a file-system error names (Node sets it for fs.watch and the fs calls), if any. */
export function errorPath(error: unknown): string | undefined {
  const path = (error as NodeJS.ErrnoException | undefined)?.path;
  return typeof path === 'string' ? path : undefined;
}

/**
 * What an event says happened at a path: `moved` when something may have
 * been made, removed or moved there (inotify's create, delete and move
 * events: fs.watch's `rename`), `changed` when what is there was written to
 * or had its attributes changed.
 */
export type PathEvent = 'moved' | 'changed';

/** fs.watch's event name as a PathEvent. */
export function pathEventOf(fsWatchEvent: string): PathEvent {
  return fsWatchEvent === 'change' ? 'changed' : 'moved';
}

/** What a bare folder watch reports. */
export interface FolderWatchEvents {
  /** Something happened to `path`: an entry of the folder, or the folder itself. */
  onPath(path: string, event: PathEvent): void;
  /** The folder went away under the watch (its parent's watch tells what came instead). */
  onGone(watch: FolderWatch): void;
  /** Any other failure of the watch. */
  onError(error: unknown): void;
}

/**
 * A bare fs.watch of `folder`: one inotify watch, no scan of its entries
 * (a watcher that lstats every entry after each event in the folder spends
 * most of a core on a busy /tmp). Undefined when the folder is
 * missing or the watch failed (then onError was told, unless it was missing).
 */
export function watchOneFolder(folder: string, events: FolderWatchEvents): FolderWatch | undefined {
  let watcher: FSWatcher | undefined;
  try {
    watcher = watchFolder(folder, { persistent: true }, (event, name) => {
      for (const path of rawEventPaths(folder, name)) events.onPath(path, pathEventOf(event));
    });
    const identity = identityOf(folder);
    if (!identity) {
      // Gone between the watch and the look: as missing as if the watch had failed.
      watcher.close();
      return undefined;
    }
    const folderWatch: FolderWatch = { watcher, ...identity };
    watcher.on('error', (error: unknown) => {
      if (isMissingPath(error)) events.onGone(folderWatch);
      else events.onError(error);
    });
    return folderWatch;
  } catch (error) {
    watcher?.close();
    if (!isMissingPath(error)) events.onError(error);
    return undefined;
  }
}
