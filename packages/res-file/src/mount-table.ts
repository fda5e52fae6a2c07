import { readFileSync } from 'node:fs';

/**
 * File system types, as the mount table names them, whose calls never wait
 * on another machine or a user-space server: disks, memory and the kernel's
 * own. A mount of any other type (nfs, cifs, 9p, fuse.*, fuseblk, autofs,
 * ceph…) may hang.
 */
const NEVER_REMOTE_TYPES = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'zfs',
  'f2fs',
  'jfs',
  'reiserfs',
  'nilfs2',
  'vfat',
  'exfat',
  'squashfs',
  'erofs',
  'iso9660',
  'udf',
  'tmpfs',
  'ramfs',
  'overlay',
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'cgroup',
  'cgroup2',
  'mqueue',
  'securityfs',
  'debugfs',
  'tracefs',
  'bpf',
  'pstore',
  'hugetlbfs',
  'configfs',
  'binfmt_misc',
  'efivarfs',
  'fusectl',
  'nsfs',
  'selinuxfs',
]);

/**
 * How long an answer about file systems (this mount table, a folder's
 * statfs in local-fs.ts and kernel-fs.ts) is trusted: a mount may come or go.
 */
export const FS_ANSWER_TTL_MS = 30_000;

/**
 * systemd's automount of binfmt_misc, on most hosts it runs on: it can only
 * ever mount the kernel's binfmt_misc there, never anything remote.
 */
const KERNEL_AUTOMOUNT_POINTS = new Set(['/proc/sys/fs/binfmt_misc']);

interface Mount {
  readonly point: string;
  readonly type: string;
}

/** Each mount in `/proc/self/mountinfo` text: its mount point (field 5) and its type (the first field after ` - `). */
export function mountsOf(mountinfo: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator === -1) continue;
    const type = line.slice(separator + 3).split(' ', 1)[0];
    // Spaces and such in a mount point are written as octal escapes (\040).
    const written = line.split(' ')[4] ?? '';
    const point = written.includes('\\') ? written.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))) : written;
    if (type) mounts.push({ point, type });
  }
  return mounts;
}

/** True when every mount in `mountinfo` text is of a type that never waits on a remote server. */
export function everyMountNeverRemote(mountinfo: string): boolean {
  const mounts = mountsOf(mountinfo);
  return (
    mounts.length > 0 &&
    mounts.every((mount) => NEVER_REMOTE_TYPES.has(mount.type) || (mount.type === 'autofs' && KERNEL_AUTOMOUNT_POINTS.has(mount.point)))
  );
}

/** The last reading of the mount table: true when every mount is local; undefined when it is to be read (again). */
let allLocalNow: boolean | undefined;
let source = '/proc/self/mountinfo';

/**
 * True when nothing mounted on this machine can hang (no network or FUSE
 * file system at all, as on most servers, containers and CI machines): then
 * every path is on a local file system, whatever symlinks it goes through,
 * and no folder needs its own statfs. One read of the mount table, again
 * after 30 s; false when it cannot be read (not Linux).
 */
export function everyMountIsLocal(): boolean {
  // Asked several times per check: a timer forgets the reading, rather than
  // a clock read and sums at every question.
  if (allLocalNow === undefined) {
    let allLocal = false;
    try {
      allLocal = everyMountNeverRemote(readFileSync(source, 'utf8'));
    } catch {
      // No mount table to read: each folder is asked (local-fs.ts).
    }
    allLocalNow = allLocal;
    setTimeout(() => (allLocalNow = undefined), FS_ANSWER_TTL_MS).unref();
  }
  return allLocalNow;
}

/** For tests: read the mount table from `path` instead (a file standing for a machine with other mounts). */
export function readMountTableFrom(path: string): void {
  source = path;
  allLocalNow = undefined;
}
