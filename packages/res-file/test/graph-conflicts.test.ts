import { describe, expect, it } from 'vitest';
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
