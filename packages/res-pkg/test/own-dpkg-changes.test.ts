import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnDpkgChanges } from '../src/own-dpkg-changes.js';
import { holdLock } from './helpers.js';

describe("telling a resource's own writes of dpkg's status from others'", () => {
  let dir: string;
  let writes = 0;
  /** As dpkg writes it: a new file renamed over the old one. */
  const writeStatus = async () => {
    writes += 1;
    await writeFile(join(dir, 'status-new'), `Package: probe\nVersion: ${writes}\n`);
    await rename(join(dir, 'status-new'), join(dir, 'status'));
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'res-pkg-own-'));
    await writeStatus();
    await writeFile(join(dir, 'lock-frontend'), '');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('takes the writes of its own change, told during or after it, for its own, and a later write for another', async () => {
    const own = new OwnDpkgChanges(dir);
    own.checkStarts();
    own.changeStarts();
    await writeStatus();
    expect(own.isOwn()).toBe(true);
    await writeStatus();
    own.changeEnds();
    expect(own.isOwn()).toBe(true);
    expect(await own.inDoubt()).toBe(false);
    await writeStatus();
    expect(own.isOwn()).toBe(false);
    expect(own.isOwn()).toBe(false);
  });

  it('is in doubt when the status changed between the start of the check and its change (an event told late passes for its own)', async () => {
    const own = new OwnDpkgChanges(dir);
    own.checkStarts();
    await writeStatus();
    own.changeStarts();
    expect(own.isOwn()).toBe(true);
    own.changeEnds();
    expect(await own.inDoubt()).toBe(true);
    own.checkStarts();
    expect(await own.inDoubt()).toBe(false);
  });

  it('is in doubt when another program holds the lock as its change ends (an apt-get that waited for it may have written already)', async () => {
    const held = await holdLock(join(dir, 'lock-frontend'));
    try {
      const own = new OwnDpkgChanges(dir);
      own.checkStarts();
      own.changeStarts();
      own.changeEnds();
      expect(await own.inDoubt()).toBe(true);
      expect(own.isOwn()).toBe(false);
    } finally {
      await held.release();
    }
  });
});
