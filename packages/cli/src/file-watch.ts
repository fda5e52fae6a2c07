import { lstatSync, readlinkSync, watch, type FSWatcher } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** A name in a folder: changing it can change what a watched path reads. */
export interface PathEntry {
  /** The folder, as a real path (no symlink in it). */
  readonly dir: string;
  readonly name: string;
}

/** As many symlinks as Linux follows in one path before it gives up (ELOOP). */
const MAX_SYMLINKS = 40;

/**
 * The entries that decide what reading `path` reads: every symlink met
 * while resolving it (`g.yaml -> data/g.yaml`, then `data -> v1`) and the
 * file it ends at (`v1/g.yaml`). A missing entry ends the list: it is where
 * the path would start to exist again.
 */
export function entriesBehind(path: string): PathEntry[] {
  const entries: PathEntry[] = [];
  const rest = parts(resolve(path));
  let dir: string = sep;
  let followed = 0;
  for (let name = rest.shift(); name !== undefined; name = rest.shift()) {
    if (name === '.') continue;
    if (name === '..') {
      dir = dirname(dir);
      continue;
    }
    const entry = join(dir, name);
    let target: string | undefined;
    try {
      target = lstatSync(entry).isSymbolicLink() ? readlinkSync(entry) : undefined;
    } catch {
      entries.push({ dir, name });
      break;
    }
    if (target === undefined) {
      if (rest.length === 0) entries.push({ dir, name });
      dir = entry;
      continue;
    }
    entries.push({ dir, name });
    if (++followed > MAX_SYMLINKS) break;
    if (isAbsolute(target)) dir = sep;
    rest.unshift(...parts(target));
  }
  return entries;
}

function parts(path: string): string[] {
  return path.split(sep).filter((part) => part !== '');
}

interface FolderWatch {
  readonly watcher: FSWatcher;
  names: ReadonlySet<string>;
}

/**
 * Watches a file through its symlinks: the folder of every link on the way
 * and the folder of the real file. Folders, not files, are watched: editors
 * (and `sed -i`) save by renaming a new file over the old one, which ends a
 * watch on the file itself. Call `refresh` after a change to follow a link
 * that now points elsewhere (a Kubernetes ConfigMap swaps `..data` to a new
 * folder with one rename).
 */
export class FileWatch {
  readonly #path: string;
  readonly #onChange: () => void;
  readonly #onError: (message: string) => void;
  readonly #folders = new Map<string, FolderWatch>();
  #stopped = false;

  constructor(path: string, onChange: () => void, onError: (message: string) => void) {
    this.#path = resolve(path);
    this.#onChange = onChange;
    this.#onError = onError;
  }

  /** Watches the folders the path now goes through, and stops watching those it left. */
  refresh(): void {
    if (this.#stopped) return;
    const wanted = new Map<string, Set<string>>();
    for (const { dir, name } of entriesBehind(this.#path)) {
      const names = wanted.get(dir) ?? new Set<string>();
      wanted.set(dir, names.add(name));
    }
    for (const [dir, folder] of this.#folders) {
      if (wanted.has(dir)) continue;
      folder.watcher.close();
      this.#folders.delete(dir);
    }
    for (const [dir, names] of wanted) {
      const folder = this.#folders.get(dir);
      if (folder) folder.names = names;
      else this.#watchFolder(dir, names);
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const folder of this.#folders.values()) folder.watcher.close();
    this.#folders.clear();
  }

  #watchFolder(dir: string, names: ReadonlySet<string>): void {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, changed) => {
        if (changed === null || folder.names.has(changed)) this.#onChange();
      });
    } catch (error) {
      // A folder removed since it was resolved: the next refresh resolves again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.#onError(`cannot watch ${dir}: ${message(error)}`);
      return;
    }
    const folder: FolderWatch = { watcher, names };
    watcher.on('error', (error) => {
      watcher.close();
      if (this.#folders.get(dir) === folder) this.#folders.delete(dir);
      this.#onError(`stopped watching ${dir}: ${error.message}`);
    });
    this.#folders.set(dir, folder);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
