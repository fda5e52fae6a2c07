import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeExec, tempDir } from './helpers.js';

// `user` and `group` are resolved before every run (a received one must
// take effect), but no longer with a getent process each time: names of
// the local files are read in the process, others asked once per name at a
// time and kept a few seconds (@converge/accounts, as res-file does).

let dir: string;
let remove: () => Promise<void>;
let log: string;
let restorePath: () => void;

/** A getent first in converge's PATH that writes each run down in `log` and answers for `cvg-nss-only` as a name service (LDAP) would. */
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
  log = join(dir, 'getent.log');
  const fake = join(dir, 'getent');
  await writeFile(
    fake,
    `#!/bin/sh\necho "$@" >> "${log}"\nif [ "$3" = cvg-nss-only ]; then echo "cvg-nss-only:x:65534:65534::/nonexistent:/usr/sbin/nologin"; exit 0; fi\nexec /usr/bin/getent "$@"\n`,
  );
  await chmod(fake, 0o755);
  const path = process.env['PATH'];
  process.env['PATH'] = `${dir}:${path ?? ''}`;
  restorePath = () => {
    process.env['PATH'] = path;
  };
});
afterEach(async () => {
  restorePath();
  await remove();
});

const getentRuns = async (): Promise<string[]> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);

/** Runs `checks` polled checks (each one runs the commands, so resolves user and group) and returns what cmd printed last. */
async function runChecks(params: { user?: string; group?: string }, checks: number): Promise<string> {
  const live = await makeExec('/usr/bin/id -u; /usr/bin/id -g', { ...params, shell: '/bin/sh', cwd: '/' }, { polled: true });
  for (let check = 0; check < checks; check += 1) expect(await live.res.checkApply(true, live.signal)).toBe(false);
  await live.res.cleanup();
  return live.harness.sent().stdout ?? '';
}

describe.runIf(process.getuid?.() === 0)('resolving user and group (as root)', () => {
  it('starts no getent for a user and group of the local files, however many checks run', async () => {
    // nsswitch.conf here looks in files first (`passwd: files systemd`), as Debian's does.
    expect(await runChecks({ user: 'nobody', group: 'nogroup' }, 5)).toBe('65534\n65534\n');
    expect(await getentRuns()).toEqual([]);
  });

  it('asks the name service once for a name only it knows, not at every check', async () => {
    expect(await runChecks({ user: 'cvg-nss-only' }, 5)).toBe('65534\n65534\n');
    expect(await getentRuns()).toEqual(['passwd -- cvg-nss-only']);
  });
});
