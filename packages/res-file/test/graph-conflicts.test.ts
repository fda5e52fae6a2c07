import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemLinks } from '@converge/system-paths';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileParams } from '../src/index.js';
import { fileGraphConflicts } from '../src/graph-conflicts.js';

/** Resources named by their path, as most graphs write them. */
function conflictsOf(...resources: Array<Partial<FileParams> & { path: string }>) {
  return fileGraphConflicts(resources.map((params) => ({ name: params.path, params: params as FileParams }))).map((issue) => [issue.resource, issue.message]);
}

describe('file resources that contradict each other (QA: validate passed a folder removed with everything in it and a file in it that must exist)', () => {
  it('finds what must exist inside a path another removes, at any depth, whatever the spelling of the paths', () => {
    expect(conflictsOf({ path: '/srv/old/', state: 'absent', recurse: true }, { path: '/srv/old/app.conf', state: 'exists' })).toEqual([
      [1, 'must exist inside /srv/old, which file[/srv/old/] removes (state: absent)'],
    ]);
    expect(conflictsOf({ path: '/srv//old/x/y/', state: 'exists' }, { path: '/srv/old', state: 'absent' })).toEqual([
      [0, 'must exist inside /srv/old, which file[/srv/old] removes (state: absent)'],
    ]);
  });

  it('finds what must exist inside a path another keeps as a plain file', () => {
    expect(conflictsOf({ path: '/etc/app', state: 'exists', content: 'x' }, { path: '/etc/app/conf.d/', state: 'exists' })).toEqual([
      [1, "must exist inside /etc/app, which file[/etc/app] keeps as a file (a folder's path ends with /)"],
    ]);
  });

  it('accepts what agrees: a folder kept with files in it, things removed inside what is removed, paths left alone, siblings that share a prefix', () => {
    expect(
      conflictsOf(
        { path: '/srv/app/', state: 'exists' },
        { path: '/srv/app/conf', state: 'exists' },
        { path: '/srv/gone/', state: 'absent', recurse: true },
        { path: '/srv/gone/inner', state: 'absent' },
        // No state: a missing path is left missing, so nothing is made inside the removed folder.
        { path: '/srv/gone/mode-only', mode: '0600' },
        { path: '/srv/gone-not/file', state: 'exists' },
        { path: '/srv/plain', state: 'exists' },
        { path: '/srv/plainer/x', state: 'exists' },
      ),
    ).toEqual([]);
  });
});

// A merged-/usr layout of its own (lib → usr/lib) in a folder made here, so
// that this holds on any host. The links are followed only as root keeps
// them: made as root.
describe.runIf(process.getuid?.() === 0)('file resources that contradict each other through the system links (as root)', () => {
  let root = '';
  let links: SystemLinks;
  const at = (path: string) => `${root}${path}`;

  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'res-file-conflicts-')));
    mkdirSync(at('/usr/lib'), { recursive: true });
    symlinkSync('usr/lib', at('/lib'));
    links = new SystemLinks([at('/lib')]);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const conflictsThrough = (...resources: Array<Partial<FileParams> & { path: string }>) =>
    fileGraphConflicts(
      resources.map((params) => ({ name: params.path, params: { ...params, path: at(params.path) } as FileParams })),
      links,
    ).map((issue) => [issue.resource, issue.message.replaceAll(root, ''), issue.hint?.replaceAll(root, '')]);

  it('finds what must exist inside a path removed or kept as a file under its other spelling, named as written (QA: file[/lib/x] absent passed beside file[/usr/lib/x/y])', () => {
    expect(conflictsThrough({ path: '/lib/x', state: 'absent' }, { path: '/usr/lib/x/y', state: 'exists' })).toEqual([
      [1, "must exist inside /lib/x (/lib/x is /usr/lib/x, through the system's links), which file[/lib/x] removes (state: absent)", 'keep one of the two: remove this resource, or the state: absent of the other'],
    ]);
    expect(conflictsThrough({ path: '/lib/app/y/', state: 'exists' }, { path: '/usr/lib/app', state: 'exists', content: 'x' })).toEqual([
      [
        0,
        "must exist inside /usr/lib/app (/lib/app/y is /usr/lib/app/y, through the system's links), which file[/usr/lib/app] keeps as a file (a folder's path ends with /)",
        'if /usr/lib/app is meant to be a folder, write its path with a trailing slash (/usr/lib/app/)',
      ],
    ]);
    // Both spelled through the link: nothing more to say than before.
    expect(conflictsThrough({ path: '/lib/x/', state: 'absent' }, { path: '/lib/x/y', state: 'exists' })[0]?.[1]).toBe('must exist inside /lib/x, which file[/lib/x/] removes (state: absent)');
  });

  it('accepts a folder kept under one spelling with files in it under the other', () => {
    expect(conflictsThrough({ path: '/lib/app/', state: 'exists' }, { path: '/usr/lib/app/conf', state: 'exists' }, { path: '/usr/lib/gone-not', state: 'absent' }, { path: '/lib/gone/x', state: 'exists' })).toEqual([]);
  });
});
