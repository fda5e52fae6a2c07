import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveGid, resolveUid } from '../src/ids.js';
import { tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

describe('resolving names', () => {
  /** Puts a getent first in PATH that counts its runs in `log` and answers for `ldapuser` as the name service would. */
  async function countingGetent(): Promise<{ log: string; restore: () => void }> {
    const log = join(dir, 'getent.log');
    const fake = join(dir, 'getent');
    await writeFile(
      fake,
      `#!/bin/sh\necho "$@" >> "${log}"\nsleep 0.2\nif [ "$3" = ldapuser ]; then echo "ldapuser:x:4242:4242::/home/ldapuser:/bin/sh"; exit 0; fi\nexec /usr/bin/getent "$@"\n`,
    );
    await chmod(fake, 0o755);
    const path = process.env['PATH'];
    process.env['PATH'] = `${dir}:${path ?? ''}`;
    return {
      log,
      restore: () => {
        process.env['PATH'] = path;
      },
    };
  }

  const runsIn = async (log: string): Promise<string[]> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);

  it('starts no process for names of the local files, and one for many checks of a name of the name service at once (QA: 634 getent at once for 5,000 files)', async () => {
    const { log, restore } = await countingGetent();
    try {
      const signal = new AbortController().signal;
      const local = await Promise.all(Array.from({ length: 200 }, (_, index) => (index % 2 ? resolveUid('root', signal) : resolveGid('root', signal))));
      expect(new Set(local)).toEqual(new Set([0]));
      expect(await runsIn(log)).toEqual([]);

      const remote = await Promise.all(Array.from({ length: 100 }, () => resolveUid('ldapuser', signal)));
      expect(new Set(remote)).toEqual(new Set([4242]));
      expect(await runsIn(log)).toEqual(['passwd -- ldapuser']);
      // Kept a few seconds: the next burst of checks asks nobody.
      expect(await resolveUid('ldapuser', signal)).toBe(4242);
      expect(await runsIn(log)).toHaveLength(1);

      // A name not found is asked again at the next check (a resource may create it meanwhile).
      expect(await resolveUid('no-such-user-xyz', signal)).toBeUndefined();
      expect(await resolveUid('no-such-user-xyz', signal)).toBeUndefined();
      expect((await runsIn(log)).filter((line) => line.endsWith('no-such-user-xyz'))).toHaveLength(2);
    } finally {
      restore();
    }
  });

  it("ends a check's wait for the name service when its signal aborts, leaving the others' answer", async () => {
    const { restore } = await countingGetent();
    try {
      const aborted = new AbortController();
      const waiting = resolveUid('ldapuser-slow', aborted.signal);
      const other = resolveUid('ldapuser-slow', new AbortController().signal);
      aborted.abort(new Error('stopped'));
      await expect(waiting).rejects.toThrow('stopped');
      expect(await other).toBeUndefined();
    } finally {
      restore();
    }
  });
});
