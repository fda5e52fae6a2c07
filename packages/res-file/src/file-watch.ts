import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileParams } from './params.js';
import { fsPath, isAncestor } from './paths.js';

/** A path to watch and how much below it matters. */
export interface WatchTarget {
  readonly path: string;
  readonly below: 'nothing' | 'children' | 'everything';
}

/** What a file resource depends on: its path, its source and its fragments. */
export function watchTargets(params: Readonly<FileParams>): WatchTarget[] {
  const isDir = params.path.endsWith('/') && !params.symlink;
  const targets: WatchTarget[] = [
    { path: fsPath(params.path), below: !isDir ? 'nothing' : params.recurse ? 'everything' : params.purge ? 'children' : 'nothing' },
  ];
  if (params.source !== undefined && !params.symlink) {
    targets.push({ path: fsPath(params.source), below: params.source.endsWith('/') ? 'everything' : 'nothing' });
  }
  for (const fragment of params.fragments ?? []) {
    targets.push({ path: fsPath(fragment), below: fragment.endsWith('/') ? 'children' : 'nothing' });
  }
  return targets;
}

/**
 * True for the paths chokidar must look at: every ancestor of a target (so
 * that a missing directory appearing, or a parent being replaced, is seen),
 * the target itself, and what lies below it as far as it matters.
 */
function isRelevant(path: string, targets: readonly WatchTarget[]): boolean {
  return targets.some(
    (target) =>
      path === target.path ||
      isAncestor(path, target.path) ||
      (target.below === 'children' && posix.dirname(path) === target.path) ||
      (target.below === 'everything' && isAncestor(target.path, path)),
  );
}

/**
 * chokidar can miss an entry created in the instant between its scan of a
 * new directory and its watch on it (`mkdir -p a/b` right after `a` appears):
 * the entry is then never watched. So a little after each new directory a
 * second look adds what it missed.
 */
const RESCAN_DELAY_MS = 20;

/** Adds the relevant entries of `dir` that chokidar does not watch; returns them. */
async function addMissedEntries(watcher: FSWatcher, dir: string, targets: readonly WatchTarget[]): Promise<string[]> {
  const watched = new Set(watcher.getWatched()[dir] ?? []);
  // A file (or a vanished directory) has no entries to miss.
  const names = await readdir(dir).catch(() => [] as string[]);
  const missed = names.filter((name) => !watched.has(name)).map((name) => posix.join(dir, name)).filter((path) => isRelevant(path, targets));
  if (missed.length > 0) watcher.add(missed);
  return missed;
}

/**
 * Watches `targets` until `signal` aborts: calls `onEvent` once when the
 * watches are live, then on every change. The watch is rooted at `/` and
 * narrowed by a filter, because chokidar cannot watch a path that does not
 * exist yet and a root that is removed would be lost; only the ancestor
 * chain is actually watched (one inotify watch per level). No debounce:
 * the engine coalesces events. Rejects when the watcher fails.
 */
export function watchPaths(targets: readonly WatchTarget[], onEvent: () => void, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  const watcher = watch('/', {
    ignored: (path: string) => !isRelevant(path, targets),
    // Initial events are dropped until ready (below); after ready they report
    // what a late `add` of a missed path finds, which must not be lost.
    ignoreInitial: false,
    followSymlinks: false,
    // chokidar's atomic mode holds back an unlink for 100 ms to see if the file comes back: too slow for drift repair.
    atomic: false,
    persistent: true,
  });
  let ready = false;
  const rescans = new Set<NodeJS.Timeout>();
  const rescanSoon = (dir: string): void => {
    const timer = setTimeout(() => {
      rescans.delete(timer);
      void addMissedEntries(watcher, dir, targets).then((missed) => {
        if (missed.length === 0 || signal.aborted) return;
        onEvent();
        // A path added late has the same blind instant: look at it again too.
        for (const path of missed) rescanSoon(path);
      });
    }, RESCAN_DELAY_MS);
    rescans.add(timer);
  };
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown): void => {
      signal.removeEventListener('abort', onAbort);
      for (const timer of rescans) clearTimeout(timer);
      void watcher.close().then(
        () => (error === undefined ? resolve() : reject(error)),
        (closeError: unknown) => reject(error ?? closeError),
      );
    };
    const onAbort = (): void => finish();
    signal.addEventListener('abort', onAbort, { once: true });
    watcher.on('ready', () => {
      ready = true;
      onEvent();
    });
    // Events before ready only describe the initial scan; the ready event covers them.
    watcher.on('all', (event, path) => {
      if (!ready) return;
      onEvent();
      if (event === 'addDir') rescanSoon(path);
    });
    watcher.on('error', (error: unknown) => finish(error));
  });
}
