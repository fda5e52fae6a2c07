import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasContent, lstatEntry, readNoFollow } from '../src/fs-state.js';
import { isDirOnLocalFs, isOnLocalFs, learnFsType } from '../src/local-fs.js';
import { everyMountIsLocal, everyMountNeverRemote, mountsOf, readMountTableFrom } from '../src/mount-table.js';
import { tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

const LOCAL_MOUNTS = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '23 22 0:5 / /proc rw,nosuid shared:2 - proc proc rw',
  '24 22 0:21 / /tmp rw shared:3 - tmpfs tmpfs rw,size=1024k',
  '25 22 0:40 / /var/lib/docker/overlay2/x/merged rw - overlay overlay rw,lowerdir=/a:/b',
].join('\n');

describe('the mount table', () => {
  it('reads each mount point and type, whatever the optional fields between them', () => {
    const mounts = mountsOf(`${LOCAL_MOUNTS}\n30 22 0:50 / /mnt/my\\040share rw master:7 unbindable - nfs4 server:/export rw,vers=4.2\n`);
    expect(mounts.map((mount) => mount.type)).toEqual(['ext4', 'proc', 'tmpfs', 'overlay', 'nfs4']);
    expect(mounts.at(-1)?.point).toBe('/mnt/my share');
  });

  it("takes systemd's automount of binfmt_misc for what it is (the kernel's), and no other automount", () => {
    const binfmt = '40 23 0:60 / /proc/sys/fs/binfmt_misc rw,relatime shared:9 - autofs systemd-1 rw,fd=29';
    expect(everyMountNeverRemote(`${LOCAL_MOUNTS}\n${binfmt}`)).toBe(true);
    expect(everyMountNeverRemote(`${LOCAL_MOUNTS}\n41 22 0:61 / /net rw - autofs systemd-1 rw,fd=30`)).toBe(false);
  });

  it('says every mount is local only when no mount may wait on a server (network, FUSE, automount)', () => {
    expect(everyMountNeverRemote(LOCAL_MOUNTS)).toBe(true);
    for (const line of [
      '30 22 0:50 / /mnt/share rw - nfs4 server:/export rw',
      '31 22 0:51 / /mnt/win rw - cifs //host/share rw',
      '32 22 0:52 / /home/u/remote rw - fuse.sshfs u@host: rw',
      '33 22 0:53 / /media/disk rw - fuseblk /dev/sdb1 rw',
      '34 22 0:54 / /net rw - autofs systemd-1 rw',
      '35 22 0:55 / /mnt/vm rw - 9p hostshare rw',
    ]) {
      expect(everyMountNeverRemote(`${LOCAL_MOUNTS}\n${line}`), line).toBe(false);
    }
    expect(everyMountNeverRemote('')).toBe(false);
  });

  it("answers from this machine's real mount table, at once and for any folder", () => {
    const expected = everyMountNeverRemote(readFileSync('/proc/self/mountinfo', 'utf8'));
    expect(everyMountIsLocal()).toBe(expected);
    // Never learned, yet answered: a one-shot run's first checks take the sync path.
    if (expected) expect(isDirOnLocalFs(join(dir, 'never-asked'))).toBe(true);
  });
});

describe('which file systems take the synchronous path when a mount may hang', () => {
  let table: string;
  beforeEach(async () => {
    // A machine with an NFS mount somewhere: every folder's file system is then asked (statfs, real).
    table = join(dir, 'mountinfo');
    await writeFile(table, `${LOCAL_MOUNTS}\n30 22 0:50 / /mnt/share rw - nfs4 server:/export rw\n`);
    readMountTableFrom(table);
  });
  afterEach(() => readMountTableFrom('/proc/self/mountinfo'));

  it('treats the temp directory (a disk or tmpfs) as local once learned, and says no before', async () => {
    const fresh = join(dir, 'fresh');
    expect(isDirOnLocalFs(fresh)).toBe(false);
    await learnFsType(fresh);
    expect(isDirOnLocalFs(fresh)).toBe(true);
    expect(isOnLocalFs(join(fresh, 'file'))).toBe(true);
  });

  it('keeps async calls for a file system that is not known to be local (procfs here)', async () => {
    await learnFsType('/proc/self');
    expect(isOnLocalFs('/proc/self/status')).toBe(false);
    // The async path gives the same answers as the sync one.
    expect((await lstatEntry('/proc/self/status'))?.kind).toBe('file');
    expect((await readNoFollow('/proc/self/status')).toString()).toMatch(/^Name:/m);
    expect(await hasContent('/proc/self/status', Buffer.from('no'))).toBe(false);
  });

  it('compares content the same way on both paths, small and large files alike', async () => {
    await learnFsType(dir);
    for (const size of [0, 10, 1024 * 1024, 2 * 1024 * 1024 + 3]) {
      const path = join(dir, `f${size}`);
      const bytes = Buffer.alloc(size, 7);
      await writeFile(path, bytes);
      expect(await hasContent(path, bytes)).toBe(true);
      expect(await hasContent(path, Buffer.concat([bytes, Buffer.from('x')]))).toBe(false);
      if (size > 0) {
        expect(await hasContent(path, bytes.subarray(1))).toBe(false);
        const other = Buffer.from(bytes);
        other[size - 1] = 8;
        expect(await hasContent(path, other)).toBe(false);
      }
      expect((await readNoFollow(path)).equals(await readFile(path))).toBe(true);
      expect((await lstatEntry(path))?.size).toBe(size);
    }
    expect(await hasContent(join(dir, 'missing'), Buffer.from('x'))).toBeUndefined();
    expect(await lstatEntry(join(dir, 'missing'))).toBeUndefined();
    expect(await lstatEntry(join(dir, 'f10', 'below-a-file'))).toBeUndefined();
  });
});
