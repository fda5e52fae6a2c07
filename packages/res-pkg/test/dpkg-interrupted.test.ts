import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dpkgInterrupted } from '../src/dpkg-interrupted.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A dpkg folder as dpkg leaves it: lock files, and the journal entries given. */
async function dpkgDir(journal: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-dpkg-'));
  dirs.push(dir);
  await mkdir(join(dir, 'updates'));
  await Promise.all([writeFile(join(dir, 'lock'), ''), writeFile(join(dir, 'lock-frontend'), ''), ...journal.map((name) => writeFile(join(dir, 'updates', name), ''))]);
  return dir;
}

/** Holds a POSIX write lock (fcntl, as dpkg takes it) on `path` in another process until the returned function is called. */
async function holdLock(path: string): Promise<() => Promise<void>> {
  const holder = spawn('python3', ['-c', `import fcntl,sys\nf=open(${JSON.stringify(path)},'r+')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('held',flush=True)\nsys.stdin.read()`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await once(holder.stdout, 'data');
  return async () => {
    holder.stdin.end();
    await once(holder, 'exit');
  };
}

describe('dpkg interrupted (QA: a package reported converged as uninstalled while dpkg -l showed it installed)', () => {
  it('is true when the journal holds entries and nobody holds the lock, as apt tells it', async () => {
    expect(await dpkgInterrupted(await dpkgDir(['0000', '0001']))).toBe(true);
  });

  it('is false with an empty journal, or only temporary files in it', async () => {
    expect(await dpkgInterrupted(await dpkgDir([]))).toBe(false);
    expect(await dpkgInterrupted(await dpkgDir(['tmp.i']))).toBe(false);
  });

  it('is false while a process holds dpkg’s lock (a dpkg run in progress writes its journal too)', async () => {
    const dir = await dpkgDir(['0000']);
    const release = await holdLock(join(dir, 'lock'));
    try {
      expect(await dpkgInterrupted(dir)).toBe(false);
    } finally {
      await release();
    }
    expect(await dpkgInterrupted(dir)).toBe(true);
  });
});
