import { describe, expect, it } from 'vitest';
import { registerManaged, unregisterManaged } from '../src/managed-paths.js';

describe('managed paths', () => {
  it('asks only the resources that may purge when one leaves (stopping a large graph stays linear)', () => {
    let reads = 0;
    const owners = Array.from({ length: 100 }, () => ({}));
    owners.forEach((owner, index) =>
      registerManaged(owner, () => {
        reads++;
        return { path: `/srv/site/f${index}` };
      }),
    );
    let told = 0;
    const purger = {};
    registerManaged(purger, () => ({ path: '/srv/site', purge: true }), { onRelease: () => told++, mayPurge: true });
    for (const owner of owners) unregisterManaged(owner);
    // Each leaving resource reads its own params once, and no one else's.
    expect(reads).toBe(owners.length);
    expect(told).toBe(owners.length);
    unregisterManaged(purger);
  });
});
