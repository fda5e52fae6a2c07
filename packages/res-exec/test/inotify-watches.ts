import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

/**
 * How many inotify watches this process holds on the given folders, read
 * from the kernel's own list (/proc/self/fdinfo of each inotify descriptor):
 * what a watcher left open shows here even when nothing reports it.
 */
export function inotifyWatchesOn(folders: string[]): number {
  const inodes = new Set(folders.map((folder) => `ino:${statSync(folder).ino.toString(16)} `));
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed since the listing (the listing's own descriptor, most often)
    }
    if (target !== 'anon_inode:inotify') continue;
    const lines = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n');
    count += lines.filter((line) => line.startsWith('inotify wd:') && [...inodes].some((inode) => line.includes(` ${inode}`))).length;
  }
  return count;
}
