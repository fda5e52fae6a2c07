import { describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import type { FileParams } from '../src/index.js';
import { issuesOf } from './helpers.js';

const fileResourceIssues = (params: Partial<FileParams>) => fileResource.validate?.({ path: '/srv/x', ...params } as FileParams) ?? [];

describe('validate', () => {
  it('accepts a plain file, a directory and a symlink', () => {
    expect(issuesOf({ state: 'exists', content: 'x', mode: '0640', owner: 'root' })).toEqual([]);
    expect(issuesOf({ path: '/srv/d/', state: 'exists', source: '/opt/d/', recurse: true, purge: true })).toEqual([]);
    expect(issuesOf({ symlink: true, source: '../relative', state: 'exists' })).toEqual([]);
  });

  it('refuses a numeric owner or group no file can have (4294967295 is chown\'s "leave as it is")', () => {
    expect(issuesOf({ state: 'exists', owner: '4294967294', group: '0' })).toEqual([]);
    expect(issuesOf({ state: 'exists', owner: '4294967295', group: '99999999999' })).toEqual([
      'owner: owner 4294967295 is not an id a file can have (at most 4294967294)',
      'group: group 99999999999 is not an id a file can have (at most 4294967294)',
    ]);
  });

  it('warns of content, a copy or a link without state, which leaves a missing path missing (QA: "converged" and no file); not of mode or owner alone', () => {
    expect(issuesOf({ content: 'x' }, 'warning')).toEqual([
      'content: content without state: a missing file is left missing (and counts as converged); only one that is there is changed',
    ]);
    expect(issuesOf({ state: '', source: '/opt/a' }, 'warning')).toEqual([
      'source: source without state: a missing file is left missing (and counts as converged); only one that is there is changed',
    ]);
    expect(issuesOf({ symlink: true, source: '/a' }, 'warning')[0]).toMatch(/^symlink: symlink without state: a missing link is left missing/);
    expect(issuesOf({ path: '/srv/cp/', source: '/opt/dir/', recurse: true }, 'warning')[0]).toMatch(/^source: source without state: a missing folder is left missing/);
    expect(issuesOf({ state: 'exists', content: 'x' }, 'warning')).toEqual([]);
    expect(issuesOf({ mode: '0640', owner: 'root' }, 'warning')).toEqual([]);
    expect(fileResource.validate?.({ path: '/srv/x', content: 'x' } as FileParams)?.[0]?.hint).toBe('add state: exists to create it');
  });

  it('accepts a path of exactly PATH_MAX - 1 bytes whose names are NAME_MAX bytes long', () => {
    const name = 'n'.repeat(255);
    const path = `/${Array.from({ length: 16 }, () => name).join('/')}`.slice(0, 4095);
    expect(Buffer.byteLength(path)).toBe(4095);
    expect(issuesOf({ path })).toEqual([]);
  });

  it('says what to do about a path that is too long', () => {
    const issues = fileResourceIssues({ path: `/srv/${'n'.repeat(256)}` });
    expect(issues).toEqual([expect.objectContaining({ param: 'path', hint: 'use a shorter path: the system refuses longer ones (ENAMETOOLONG)' })]);
  });

  it('accepts recurse with force on a file or a symlink: it lets a directory that is not empty be replaced', () => {
    expect(issuesOf({ state: 'exists', content: 'x', force: true, recurse: true })).toEqual([]);
    expect(issuesOf({ state: 'exists', source: '/a', force: true, recurse: true })).toEqual([]);
    expect(issuesOf({ symlink: true, source: '/a', force: true, recurse: true })).toEqual([]);
  });

  it.each([
    ['relative path', { path: 'etc/x' }, /path "etc\/x" must be absolute/],
    ['a NUL byte in the path (QA: told it was not absolute)', { path: '/tmp/nul\0byte' }, /^path: path \/tmp\/nul\\x00byte contains a NUL byte, which no file name can hold$/],
    ['a NUL byte in a fragment', { state: 'exists', fragments: ['/a\0'] }, /^fragments: fragment \/a\\x00 contains a NUL byte/],
    ['.. in the path', { path: '/etc/../x' }, /must be absolute, without \. or \.\./],
    ['the root', { path: '/' }, /root directory/],
    ['absent with content', { state: 'absent', content: 'x' }, /content makes no sense with state: absent/],
    ['absent with source', { state: 'absent', source: '/a' }, /source makes no sense/],
    ['absent with fragments', { state: 'absent', fragments: ['/a'] }, /fragments makes no sense/],
    ['absent with a mode', { state: 'absent', mode: '0600' }, /mode makes no sense with state: absent/],
    ['absent with owner and group', { state: 'absent', owner: 'root', group: 'root' }, /owner and group make no sense with state: absent/],
    ['absent with purge', { path: '/srv/d/', state: 'absent', recurse: true, purge: true }, /purge makes no sense with state: absent/],
    ['a symlink to itself', { path: '/srv/c', symlink: true, source: '/srv/c' }, /a symlink cannot point to itself/],
    ['a symlink to itself, relative', { path: '/srv/c', symlink: true, source: './c' }, /a symlink cannot point to itself/],
    ['content with source', { content: 'x', source: '/a' }, /content and source cannot be combined/],
    ['content with fragments', { content: 'x', fragments: ['/a'] }, /content and fragments cannot be combined/],
    ['source with fragments', { source: '/a', fragments: ['/b'] }, /source and fragments cannot be combined/],
    ['a directory with content', { path: '/srv/d/', content: 'x' }, /directory .* cannot have content/],
    ['a directory with fragments', { path: '/srv/d/', fragments: ['/a'] }, /cannot be built from fragments/],
    ['purge on a file', { purge: true, recurse: true }, /purge needs a directory/],
    ['purge without recurse', { path: '/srv/d/', purge: true }, /purge needs recurse/],
    ['a copy into its own source', { path: '/srv/src/copy/', source: '/srv/src/', recurse: true }, /path is inside its source/],
    ['a copy of a source inside the path', { path: '/srv/dest/', source: '/srv/dest/src/', recurse: true, purge: true }, /overwrite \(and purge\) its own source/],
    ['a copy of itself', { path: '/srv/same', source: '/srv/same' }, /source is the path itself/],
    ['symlink without source', { symlink: true, state: 'exists' }, /symlink needs source/],
    ['symlink with content', { symlink: true, source: '/a', content: 'x' }, /content cannot be used with symlink/],
    ['symlink with mode', { symlink: true, source: '/a', mode: '0644' }, /mode cannot be used with symlink/],
    ['symlink with recurse but no force', { symlink: true, source: '/a', recurse: true }, /recurse cannot be used with symlink/],
    ['symlink on a directory path', { path: '/srv/d/', symlink: true, source: '/a' }, /must not end in \//],
    ['a dir source for a file', { source: '/a/' }, /both be directories/],
    ['a dir source without recurse', { path: '/srv/d/', source: '/a/' }, /needs recurse: true/],
    ['recurse on a file copy', { source: '/a', recurse: true }, /recurse makes no sense/],
    ['recurse on a file with content', { content: 'x', recurse: true }, /^recurse: recurse does nothing for a file$/],
    ["chown's owner:group form", { content: 'x', owner: 'root:root' }, /^owner: owner "root:root" is not a user name$/],
    // getent would read it as an option (QA: -sfiles lists every user, root first, and the file went to root).
    ['an owner starting with -', { content: 'x', owner: '-sfiles' }, /^owner: owner "-sfiles" is not a user name or id$/],
    ['a group written as -1', { content: 'x', group: '-1' }, /^group: group "-1" is not a group name or id$/],
    ['a negative numeric owner', { content: 'x', owner: -1 }, /^owner: owner -1 is not a user name or id$/],
    ['a relative source', { source: 'a' }, /source "a" must be absolute, without \. or \.\. segments/],
    ['a relative fragment', { fragments: ['a'] }, /fragment "a" must be absolute, without \. or \.\. segments/],
    ['a path inside its fragment dir', { path: '/srv/conf.d/x', fragments: ['/srv/conf.d/'] }, /inside the fragment directory/],
    ['a bad symbolic mode', { mode: 'u+x' }, /not a clause/],
    ['a subject assigned twice (QA: last one won; mgmt refuses it)', { mode: 'u=rw,u=r' }, /^mode: mode "u=rw,u=r": u is assigned more than once; give each of u, g and o one clause$/],
    ['subjects assigned by a and again by name', { mode: 'a=r,u=w' }, /^mode: mode "a=r,u=w": u is assigned more than once/],
    ['an octal string over 07777', { mode: '17777' }, /larger than 07777/],
    ['a mode with digits 8 or 9', { mode: '0999' }, /^mode: "0999" is not an octal mode: its digits must be 0 to 7$/],
    ['an integer over 07777', { mode: 7778 }, /^mode: 7778 is not an octal mode/],
    ['an integer with digits 8 or 9', { mode: 4096 }, /^mode: 4096 is not an octal mode: an unquoted mode is read as octal digits \(0 to 7\), as in mgmt/],
    ['a path over PATH_MAX', { path: `/${'d/'.repeat(2048)}f` }, /^path: path is 4098 bytes long; a path may be at most 4095 bytes \(PATH_MAX\)$/],
    ['a name over NAME_MAX', { path: `/srv/${'n'.repeat(256)}` }, /^path: path has a name of 256 bytes \("n{40}…"\); a name may be at most 255 bytes \(NAME_MAX\)$/],
    ['a name over NAME_MAX in bytes, not characters', { path: `/srv/${'é'.repeat(128)}` }, /path has a name of 256 bytes/],
    ['a source name over NAME_MAX', { source: `/opt/${'s'.repeat(300)}` }, /^source: source has a name of 300 bytes/],
    ['a fragment name over NAME_MAX', { fragments: ['/ok', `/opt/${'f'.repeat(300)}`] }, /^fragments: fragment 2 has a name of 300 bytes/],
  ] as const)('reports %s', (_label, params, message) => {
    expect(issuesOf(params).join('\n')).toMatch(message);
  });
});
