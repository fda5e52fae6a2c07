import { describe, expect, it } from 'vitest';
import { registerManaged, unregisterManaged, type ManagedFile, type ManagedOwner } from '../src/managed-paths.js';

/** A live resource managing `file`, counting how often it is read and told. */
function owner(file: ManagedFile): ManagedOwner & { reads: number; told: number } {
  return {
    resourceId: `file[${file.path}]`,
    reads: 0,
    told: 0,
    managedFile() {
      this.reads++;
      return file;
    },
    released() {
      this.told++;
    },
  };
}

describe('managed paths', () => {
  it('asks only the resources that may purge when one leaves (stopping a large graph stays linear)', () => {
    const owners = Array.from({ length: 100 }, (_, index) => owner({ path: `/srv/site/f${index}` }));
    for (const each of owners) registerManaged(each, false);
    const purger = owner({ path: '/srv/site', purge: true });
    registerManaged(purger, true);
    for (const each of owners) unregisterManaged(each);
    // Each leaving resource reads its own params once, and no one else's.
    expect(owners.map((each) => each.reads)).toEqual(owners.map(() => 1));
    expect(purger.told).toBe(owners.length);
    expect(purger.reads).toBe(owners.length);
    unregisterManaged(purger);
  });

  it('tells a purging directory nothing when what leaves is not below it', () => {
    const purger = owner({ path: '/srv/site', purge: true });
    registerManaged(purger, true);
    const elsewhere = owner({ path: '/srv/other/f' });
    registerManaged(elsewhere, false);
    unregisterManaged(elsewhere);
    // Unregistered twice: the second time is a no-op, not a second release.
    unregisterManaged(elsewhere);
    expect(purger.told).toBe(0);
    unregisterManaged(purger);
  });
});
