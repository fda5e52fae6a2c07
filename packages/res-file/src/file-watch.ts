import { readdir, readlink, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { MAX_LINK_HOPS } from '@converge/system-paths';
import type { FileParams } from './params.js';
import { fsPath } from './paths.js';
import { WatchBatch } from './watch-batch.js';
import type { WatchTarget } from './watch-index.js';

export type { WatchTarget } from './watch-index.js';

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
 * The batch that watches started in this turn of the event loop join; it
 * starts its watches on the next turn. A graph's resources all start their
 * watches together, so thousands of them share one watch per folder
 * instead of each watching the same folders again. A watch that starts
 * later gets a new batch.
 */
let gathering: WatchBatch | undefined;

function currentBatch(): WatchBatch {
  if (gathering && !gathering.isClosed) return gathering;
  const batch = new WatchBatch();
  gathering = batch;
  setImmediate(() => {
    if (gathering === batch) gathering = undefined;
    batch.start();
  });
  return batch;
}

/**
 * inotify hands over events in bursts (one read, many events), each
 * delivered as its own callback; told once per turn of the event loop, a
 * burst is one event for each watch, however fast its check runs. All the
 * watches told in a turn are told together, in one callback: when a
 * graph's watches come up, that is thousands at once.
 */
let toTell: Array<() => void> = [];

function tellThisTurn(tell: () => void): void {
  if (toTell.length === 0) {
    setImmediate(() => {
      const telling = toTell;
      toTell = [];
      for (const told of telling) told();
    });
  }
  toTell.push(tell);
}

/**
 * Watches `targets` until `signal` aborts: calls `onEvent` once when the
 * watches are live, then on every change. Every folder from `/` down to a
 * target is watched (one inotify watch per level), so a target that does
 * not exist yet is seen to appear and a folder above it that is replaced
 * is watched again (see WatchBatch). No debounce: the engine coalesces
 * events. Rejects when a watch fails. Resolves once this watch is off; the
 * shared watches close with their last member.
 */
export function watchPaths(targets: readonly WatchTarget[], onEvent: () => void, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const batch = currentBatch();
    let told = false;
    const tell = (): void => {
      told = false;
      if (!signal.aborted) onEvent();
    };
    const member = {
      onEvent(): void {
        if (told) return;
        told = true;
        tellThisTurn(tell);
      },
      fail(error: unknown, closed: Promise<void>): void {
        signal.removeEventListener('abort', onAbort);
        const failed = (): void => reject(error);
        void closed.then(failed, failed);
      },
    };
    const onAbort = (): void => {
      batch.leave(member).then(resolve, reject);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    batch.join(member, targets);
  });
}

/** The source and fragment files (not folders) of a file resource: those that may be symlinks to watch through. */
export function linkedInputsOf(params: Readonly<FileParams>): string[] {
  if (params.symlink) return [];
  const inputs = [...(params.source === undefined ? [] : [params.source]), ...(params.fragments ?? [])];
  return inputs.filter((input) => !input.endsWith('/')).map(fsPath);
}

/** The fragment folders of a file resource, whose entries may be symlinks too: a link to a file there counts as that file. */
export function fragmentFoldersOf(params: Readonly<FileParams>): string[] {
  return (params.fragments ?? []).filter((fragment) => fragment.endsWith('/')).map(fsPath);
}

/** The symlinks in these folders now (a folder that cannot be read has none: its own watch tells when it can). */
export async function linksIn(folders: readonly string[]): Promise<string[]> {
  const listed = await Promise.all(
    folders.map(async (folder) => {
      const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
      return entries.filter((entry) => entry.isSymbolicLink()).map((entry) => posix.join(folder, entry.name));
    }),
  );
  return listed.flat();
}

/**
 * Every path an input's content depends on: each link of its chain
 * (`live/cert.pem -> ../hop/h.pem -> ../archive/cert1.pem`, so that
 * re-pointing any hop is seen) and its real path (which folder links
 * change too); itself alone when it is no link.
 */
export async function resolveLinkedInputs(inputs: readonly string[]): Promise<string[]> {
  const all = await Promise.all(
    inputs.map(async (input) => {
      const hops: string[] = [];
      let current = input;
      for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
        const target = await readlink(current).catch(() => undefined);
        if (target === undefined) break;
        current = posix.resolve(posix.dirname(current), target);
        hops.push(current);
      }
      const real = await realpath(input).catch(() => input);
      return [...new Set([...hops, real])];
    }),
  );
  return all.flat();
}
