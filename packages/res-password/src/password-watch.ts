import { watch } from 'node:fs';

/**
 * Watches the resource's var dir until `signal` aborts, calling `onChange`
 * for changes to `fileName` (editing, deleting or replacing the saved
 * password). The folder is watched rather than the file because an atomic
 * write replaces the file. Calls `onChange` once as soon as the watch is live.
 */
export function watchPasswordFile(dir: string, fileName: string, signal: AbortSignal, onChange: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const watcher = watch(dir, { persistent: false }, (_event, changed) => {
      // Some platforms do not name the file; then any change counts.
      if (changed === null || changed === fileName) onChange();
    });
    const stop = (): void => {
      watcher.close();
      resolve();
    };
    watcher.on('error', (error) => {
      signal.removeEventListener('abort', stop);
      watcher.close();
      reject(error);
    });
    signal.addEventListener('abort', stop, { once: true });
    onChange();
  });
}
