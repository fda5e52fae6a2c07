import { lstatSync, readlinkSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** A name in a folder: changing it can change what a watched path reads. */
export interface PathEntry {
  /** The folder, as a real path (no symlink in it). */
  readonly dir: string;
  readonly name: string;
  /** The name is a real folder the path goes through (not a symlink, the file, or missing). */
  readonly folder: boolean;
}

/** As many symlinks as Linux follows in one path before it gives up (ELOOP). */
const MAX_SYMLINKS = 40;

/**
 * The entries that decide what reading `path` reads, from the root down:
 * every folder on the way (`conf` in `/srv/conf/g.yaml`: a deploy may swap
 * it for another folder by two renames), every symlink met while resolving
 * it (`g.yaml -> data/g.yaml`, then `data -> v1`) and the file it ends at
 * (`v1/g.yaml`). A missing entry ends the list: it is where the path would
 * start to exist again.
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
      entries.push({ dir, name, folder: false });
      break;
    }
    if (target === undefined) {
      entries.push({ dir, name, folder: rest.length > 0 });
      dir = entry;
      continue;
    }
    entries.push({ dir, name, folder: false });
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
  /** The folder watched (device and inode): its path may come to name another folder. */
  readonly identity: string;
  names: ReadonlySet<string>;
}

/** The folders to watch for the entries behind a path, and whether a failure to watch one is worth telling. */
interface WantedFolder {
  readonly names: Set<string>;
  /**
   * Only watched for folders on the way: not being allowed to watch one
   * (a 0711 home folder) only means a swap of that folder goes unseen, and
   * the path can still be read and its file still watched.
   */
  optional: boolean;
}

/**
 * Watches a file through every folder on its way and its symlinks: the
 * folder of every link on the way, the folder of the real file and the
 * folders above them. Folders, not files, are watched: editors (and
 * `sed -i`) save by renaming a new file over the old one, which ends a
 * watch on the file itself. Call `refresh` after a change to follow what the
 * path names now: a link that points elsewhere (a Kubernetes ConfigMap swaps
 * `..data` to a new folder with one rename) or a folder swapped for another
 * (`mv conf conf.old && mv conf.new conf`).
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
    // From the root down: a folder's parent is watched before it, so a swap of it from now on is seen.
    const wanted = new Map<string, WantedFolder>();
    for (const entry of entriesBehind(this.#path)) {
      const folder = wanted.get(entry.dir) ?? { names: new Set<string>(), optional: true };
      folder.names.add(entry.name);
      folder.optional &&= entry.folder;
      wanted.set(entry.dir, folder);
    }
    for (const [dir, folder] of this.#folders) {
      // A watch follows the folder, not its path: one renamed away (conf -> conf.old) is watched no more.
      if (wanted.has(dir) && folder.identity === identityOf(dir)) continue;
      folder.watcher.close();
      this.#folders.delete(dir);
    }
    for (const [dir, { names, optional }] of wanted) {
      const folder = this.#folders.get(dir);
      if (folder) folder.names = names;
      else this.#watchFolder(dir, names, optional);
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const folder of this.#folders.values()) folder.watcher.close();
    this.#folders.clear();
  }

  #watchFolder(dir: string, names: ReadonlySet<string>, optional: boolean): void {
    // Taken before the watch: if the folder is swapped in between, the next refresh watches it again.
    const identity = identityOf(dir);
    // A folder removed since it was resolved: its parent's watch tells when it is back.
    if (identity === undefined) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, changed) => {
        if (changed === null || folder.names.has(changed)) this.#onChange();
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const quiet = code === 'ENOENT' || (optional && (code === 'EACCES' || code === 'EPERM'));
      if (!quiet) this.#onError(`cannot watch ${dir}: ${message(error)}`);
      return;
    }
    const folder: FolderWatch = { watcher, identity, names };
    watcher.on('error', (error) => {
      watcher.close();
      if (this.#folders.get(dir) === folder) this.#folders.delete(dir);
      this.#onError(`stopped watching ${dir}: ${error.message}`);
    });
    this.#folders.set(dir, folder);
  }
}

/** Which folder a path names now (device and inode); undefined when it names none. */
function identityOf(dir: string): string | undefined {
  try {
    const stats = statSync(dir, { bigint: true });
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return undefined;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
