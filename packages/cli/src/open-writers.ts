import { readdir, readFile, readlink, realpath } from 'node:fs/promises';

/** O_ACCMODE bits of an open file's flags: 1 = write only, 2 = read and write. */
const ACCESS_MODE_BITS = 0o3;

/**
 * The first other process that has `path` open for writing, from /proc
 * (Linux); undefined when none is seen. Only processes whose descriptors
 * this user may read are seen (all of them as root). A writer that pauses
 * between writes (scp over a slow link, a tool that writes in chunks) still
 * has the file open: a graph read then would be cut short.
 */
export async function writerOf(path: string): Promise<number | undefined> {
  let target: string;
  let pids: string[];
  try {
    target = await realpath(path);
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      const opened = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
      if (opened !== target) continue;
      const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
      const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
      if (flags !== undefined && (Number.parseInt(flags, 8) & ACCESS_MODE_BITS) !== 0) return Number(pid);
    }
  }
  return undefined;
}
