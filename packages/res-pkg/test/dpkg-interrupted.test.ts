import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestContext } from '@converge/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dpkgInterrupted } from '../src/dpkg-interrupted.js';
import { REPAIR_POLL_MS } from '../src/dpkg-repair-wait.js';
import { PackageKitClient, PkgInstance } from '../src/index.js';
import type { PkgParams } from '../src/index.js';
import { watchDpkgStatus } from '../src/dpkg-watch.js';
import { holdLock } from './helpers.js';
import { dpkgAvailable, privateDpkg } from './private-dpkg.js';

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
    const { release } = await holdLock(join(dir, 'lock'));
    try {
      expect(await dpkgInterrupted(dir)).toBe(false);
    } finally {
      await release();
    }
    expect(await dpkgInterrupted(dir)).toBe(true);
  });
});

describe.skipIf(!(await dpkgAvailable()))('dpkg interrupted, with a real dpkg (QA: `dpkg -r sl` under a running converge was reported interrupted, 3 runs of 3)', () => {
  it('is never true while dpkg installs and removes, looked at on every status change as the watch does, and all the time', async () => {
    const dpkg = await privateDpkg();
    const seen: boolean[] = [];
    const pending: Promise<void>[] = [];
    const watchErrors: Error[] = [];
    const look = () => pending.push(dpkgInterrupted(dpkg.admindir).then((interrupted) => void seen.push(interrupted)));
    const watcher = watchDpkgStatus(look, (error) => watchErrors.push(error), dpkg.admindir);
    let running = true;
    const polling = (async () => {
      while (running) seen.push(await dpkgInterrupted(dpkg.admindir));
    })();
    try {
      // A dpkg run unlinks its journal about a millisecond before it exits:
      // without looking twice, about one look in ten on a status change, and
      // a few of the constant ones, fell into that gap.
      for (let run = 0; run < 20; run++) await dpkg.installAndRemove();
    } finally {
      running = false;
      watcher?.close();
      await polling;
      await Promise.all(pending);
      await dpkg.dispose();
    }
    expect(watchErrors).toEqual([]);
    expect(pending.length).toBeGreaterThanOrEqual(20);
    expect(seen.filter((interrupted) => interrupted)).toEqual([]);
  }, 60_000);
});

describe('a check that found dpkg interrupted (QA: the package was never repaired after that report)', () => {
  it('checks again by itself once dpkg is repaired, even when dpkg’s status is not written again', async () => {
    // Only the repair wait may call for a check here: PackageKit's UpdatesChanged,
    // which other test files' transactions set off, would count as one too.
    const updates = vi.spyOn(PackageKitClient.prototype, 'onUpdatesChanged').mockReturnValue(() => true);
    const dir = await dpkgDir(['0000']);
    const instance = new PkgInstance({ package: 'hello' }, dir);
    const harness = createTestContext<PkgParams, Record<string, never>>({ kind: 'pkg', name: 'hello' });
    instance.init(harness.ctx);
    const stop = new AbortController();
    const live = harness.waitForEvent(30_000);
    const watching = instance.watch(stop.signal);
    try {
      await live;
      await expect(instance.checkApply(true, stop.signal)).rejects.toThrow(/dpkg was interrupted/);
      const eventsWhenReported = harness.events();
      // Still interrupted after more than one look: no event yet.
      await sleep(REPAIR_POLL_MS * 1.5);
      expect(harness.events()).toBe(eventsWhenReported);
      // The journal goes as a dpkg run ending unlinks it: after its last status write.
      const checkedAgain = harness.waitForEvent(REPAIR_POLL_MS * 3);
      await unlink(join(dir, 'updates', '0000'));
      await checkedAgain;
    } finally {
      updates.mockRestore();
      stop.abort();
      await watching;
      instance.cleanup();
      await harness.dispose();
    }
  }, 60_000);
});
