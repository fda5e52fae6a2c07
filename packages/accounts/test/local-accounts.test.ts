import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localEntryOf } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accounts-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('users and groups of the local files', () => {
  async function files(nsswitch: string): Promise<{ passwd: string; group: string; nsswitch: string }> {
    const paths = { passwd: join(dir, 'passwd'), group: join(dir, 'group'), nsswitch: join(dir, 'nsswitch.conf') };
    await writeFile(paths.passwd, '# a comment\nroot:x:0:0:root:/root:/bin/bash\n+nisuser::::::\nweb:x:1001:1002::/srv:/bin/sh\nbroken:x::0::/:/bin/sh\nweb2:x:1001:7::/srv:/bin/sh\n');
    await writeFile(paths.group, 'root:x:0:\nweb:x:2002:\n');
    await writeFile(paths.nsswitch, nsswitch);
    return paths;
  }

  it('are read where nsswitch.conf has the system look in its files first, and read again once changed', async () => {
    const paths = await files('# comment\npasswd:         files systemd\ngroup: files [NOTFOUND=return] ldap\n');
    expect(localEntryOf('passwd', 'web', paths)).toEqual({ id: 1001, gid: 1002 });
    expect(localEntryOf('group', 'web', paths)).toEqual({ id: 2002 });
    expect(localEntryOf('passwd', 'nobody-here', paths)).toBeUndefined();
    // NIS's +/- lines name no one; nor does a line whose id is not a whole id (it must not mean root).
    expect(localEntryOf('passwd', '+nisuser', paths)).toBeUndefined();
    expect(localEntryOf('passwd', 'broken', paths)).toBeUndefined();
    // By id, as getent does: the first entry with that id, with its primary group.
    expect(localEntryOf('passwd', '1001', paths)).toEqual({ id: 1001, gid: 1002 });
    expect(localEntryOf('group', '2002', paths)).toEqual({ id: 2002 });
    // A user added (as a resource before this one may): found at the next check.
    await writeFile(paths.passwd, `${await readFile(paths.passwd, 'utf8')}app:x:1500:1500::/app:/bin/sh\n`);
    expect(localEntryOf('passwd', 'app', paths)).toEqual({ id: 1500, gid: 1500 });
  });

  it('are not used where the system looks elsewhere first, or when they cannot be read', async () => {
    const ldapFirst = await files('passwd: sss files\ngroup: files\n');
    expect(localEntryOf('passwd', 'web', ldapFirst)).toBeUndefined();
    expect(localEntryOf('group', 'web', ldapFirst)).toEqual({ id: 2002 });
    expect(localEntryOf('passwd', 'web', { ...ldapFirst, nsswitch: join(dir, 'missing') })).toBeUndefined();
  });
});

