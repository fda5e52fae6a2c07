import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { DPKG_DIR } from './dpkg-files.js';

/**
 * Calls `onChange` whenever dpkg's `status` file is written or replaced,
 * which every install, removal or upgrade does, whoever runs it (apt-get,
 * dpkg, PackageKit). The directory is watched (inotify) because dpkg replaces
 * the file by renaming a new one over it. Returns undefined when the system
 * has no dpkg database.
 */
export function watchDpkgStatus(onChange: () => void, onError: (error: Error) => void, dir = DPKG_DIR): FSWatcher | undefined {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: false }, (_event, filename) => {
      if (filename === 'status') onChange();
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  watcher.on('error', onError);
  return watcher;
}
