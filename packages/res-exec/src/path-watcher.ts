import { existsSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, relative, sep } from 'node:path';

/**
 * Watches one absolute path for being created, written, replaced, changed in
 * its attributes or removed, whether or not it exists yet. It watches the
 * directory holding the path (a file replaced by rename keeps being seen), or,
 * while that directory is missing, its nearest existing ancestor, moving down
 * as the missing directories appear.
 */
export class PathWatcher {
  private watcher: FSWatcher | undefined;
  private watchedDir = '';
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly onChange: () => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.arm();
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
  }

  private arm(): void {
    this.watcher?.close();
    let dir = dirname(this.path);
    while (!existsSync(dir) && dir !== dirname(dir)) dir = dirname(dir);
    this.watchedDir = dir;
    try {
      this.watcher = watch(dir, { persistent: false }, (_type, filename) => this.handle(filename));
    } catch (error) {
      this.onError(error as Error);
      return;
    }
    // The directory itself went away (or cannot be read): find a new place to watch.
    this.watcher.on('error', () => {
      if (this.closed) return;
      this.arm();
      this.onChange();
    });
  }

  private handle(filename: string | Buffer | null): void {
    if (this.closed) return;
    const name = filename === null ? null : filename.toString();
    if (!existsSync(this.watchedDir)) {
      // Our directory was removed (the path with it): watch higher up until it is back.
      this.arm();
      this.onChange();
      return;
    }
    if (this.watchedDir === dirname(this.path)) {
      if (name === null || name === basename(this.path)) this.onChange();
      return;
    }
    // Watching an ancestor: only the next directory on the way down matters.
    const next = relative(this.watchedDir, this.path).split(sep)[0];
    if (name === null || name === next) {
      this.arm();
      if (existsSync(this.path)) this.onChange();
    }
  }
}
