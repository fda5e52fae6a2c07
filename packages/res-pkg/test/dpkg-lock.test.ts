import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEngineError } from '@converge/engine-api';
import { createTestContext } from '@converge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PkgInstance } from '../src/index.js';
import type { PkgParams } from '../src/index.js';
import { aptGet, eventually, holdLock, installedVersion, makePkg, packageKitAvailable } from './helpers.js';

// A package of its own, so that this file can run beside the others.
const PACKAGE = 'pv';
const FRONTEND_LOCK = '/var/lib/dpkg/lock-frontend';

const available = await packageKitAvailable();

async function purge(): Promise<void> {
  if (await installedVersion(PACKAGE)) await aptGet('purge', PACKAGE);
}

type Harness = Awaited<ReturnType<typeof makePkg>>['harness'];
const waits = (harness: Harness) => harness.logs().filter((line) => line.message.startsWith('waiting for the dpkg lock'));

describe.skipIf(!available)('pkg while another program holds the dpkg lock (QA: the check failed at once, and nothing checked again once it was free)', () => {
  beforeAll(purge, 120_000);
  afterAll(purge, 120_000);

  it('waits for the lock to be free, saying once who holds it, then installs', async () => {
    const lock = await holdLock(FRONTEND_LOCK);
    const { instance, harness, signal } = await makePkg({ package: PACKAGE });
    try {
      const checking = instance.checkApply(true, signal);
      await eventually(() => waits(harness).length > 0, 30_000);
      expect(waits(harness).map((line) => line.message)).toEqual([`waiting for the dpkg lock held by process ${lock.pid} (python3)`]);
      expect(waits(harness)[0]?.fields).toMatchObject({ path: FRONTEND_LOCK, pid: lock.pid, command: 'python3' });
      expect(await installedVersion(PACKAGE)).toBeUndefined();
      await lock.release();
      expect(await checking).toBe(false);
      expect(await installedVersion(PACKAGE)).toMatch(/^\d/);
      expect(waits(harness)).toHaveLength(1);
      // Waited for before it started: no transaction failed.
      expect(instance.packageKit!.transactions.get('InstallPackages')).toBe(1);
    } finally {
      await lock.release();
      instance.cleanup();
      await harness.dispose();
    }
  }, 120_000);

  it('stops waiting when the check is stopped (the engine’s timeout), naming the holder, and changes nothing', async () => {
    expect(await installedVersion(PACKAGE)).toMatch(/^\d/);
    const lock = await holdLock(FRONTEND_LOCK);
    const { instance, harness } = await makePkg({ package: PACKAGE, state: 'uninstalled' });
    const stop = new AbortController();
    try {
      const checking = instance.checkApply(true, stop.signal).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      await eventually(() => waits(harness).length > 0, 30_000);
      stop.abort(new Error('timeout'));
      const error = await checking;
      expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_TIMEOUT');
      expect(isEngineError(error) && error.message).toBe(`stopped waiting for the dpkg lock held by process ${lock.pid} (python3)`);
      expect(await installedVersion(PACKAGE)).toMatch(/^\d/);
    } finally {
      await lock.release();
      instance.cleanup();
      await harness.dispose();
    }
  }, 120_000);

  it('when a transaction fails because the lock was taken after it was looked at, waits for it and tries again', async () => {
    // dpkg's locks looked at before the change are a free copy's, so the
    // real one, held, makes PackageKit's RemovePackages fail (after its own
    // wait of about 10 s), as a lock taken just after the look would.
    const dpkgDir = await mkdtemp(join(tmpdir(), 'converge-dpkg-locks-'));
    await mkdir(join(dpkgDir, 'updates'));
    await Promise.all(['lock', 'lock-frontend'].map((name) => writeFile(join(dpkgDir, name), '')));
    const instance = new PkgInstance({ package: PACKAGE, state: 'uninstalled' }, dpkgDir);
    const harness = createTestContext<PkgParams, Record<string, never>>({ kind: 'pkg', name: PACKAGE });
    instance.init(harness.ctx);
    const lock = await holdLock(FRONTEND_LOCK);
    try {
      const checking = instance.checkApply(true, new AbortController().signal);
      await eventually(() => waits(harness).length > 0, 60_000);
      expect(waits(harness).map((line) => line.message)).toEqual([`waiting for the dpkg lock held by process ${lock.pid} (python3)`]);
      expect(await installedVersion(PACKAGE)).toMatch(/^\d/);
      await lock.release();
      expect(await checking).toBe(false);
      expect(await installedVersion(PACKAGE)).toBeUndefined();
      expect(instance.packageKit!.transactions.get('RemovePackages')).toBe(2);
      // Told changed: the removal of the second try.
      expect(instance.changedMembers()).toEqual([0]);
    } finally {
      await lock.release();
      instance.cleanup();
      await harness.dispose();
      await rm(dpkgDir, { recursive: true, force: true });
    }
  }, 120_000);
});
