import { describe, expect, it } from 'vitest';
import type { FileParams } from '../src/index.js';
import { exposedSecrets } from '../src/secret-exposure.js';

/** [index, param] of each warning, for files that receive a secret into their content (or `received` when given). */
const warned = (files: Array<Partial<FileParams>>, received: readonly string[] = ['content']): Array<[number, string | undefined]> =>
  exposedSecrets(files.map((params, index) => ({ name: `/s/${index}`, params: { path: `/s/${index}`, ...params } as FileParams, receivesSecrets: received }))).map((issue) => {
    expect(issue.severity).toBe('warning');
    return [issue.resource, issue.param];
  });

describe('a secret received into the content of a file', () => {
  it('is warned of when the mode is unset, or gives or may leave read for group or others', () => {
    expect(warned([{}, { mode: '0644' }, { mode: '0640' }, { mode: 604 }, { mode: 'u=rw' }, { mode: 'u=rw,g=r,o=' }])).toEqual([
      [0, 'content'],
      [1, 'mode'],
      [2, 'mode'],
      [3, 'mode'],
      // g and o not assigned: they keep whatever the file has.
      [4, 'mode'],
      [5, 'mode'],
    ]);
  });

  it('says which classes the mode grants read to, and which it may leave readable (QA: g=r was told "may leave read for group")', () => {
    const said = (mode: string | number): string | undefined =>
      exposedSecrets([{ name: '/s/0', params: { path: '/s/0', mode } as FileParams, receivesSecrets: ['content'] }])[0]?.message.replace(
        ', and the file receives a secret in its content: they can read it',
        '',
      );
    expect(said('0640')).toBe('grants read to group');
    expect(said('0604')).toBe('grants read to others');
    expect(said(644)).toBe('grants read to group and others');
    expect(said('g=r,o=')).toBe('grants read to group');
    expect(said('ug=r,o=r')).toBe('grants read to group and others');
    expect(said('a=r')).toBe('grants read to group and others');
    // o is not assigned: it keeps what the file has, readable perhaps.
    expect(said('g=r')).toBe('grants read to group and may leave read for others (a class it does not assign keeps its bits)');
    expect(said('u=rw')).toBe('may leave read for group and others (a class it does not assign keeps its bits)');
    expect(said('u=rw,g=')).toBe('may leave read for others (a class it does not assign keeps its bits)');
  });

  it('is not when the mode keeps it to the owner, the file is absent or not a file, or the secret goes elsewhere', () => {
    expect(warned([{ mode: '0600' }, { mode: '0400' }, { mode: 600 }, { mode: 'u=rw,go=' }, { mode: '0711' }, { state: 'absent' }, { path: '/s/dir/' }, { symlink: true, source: '/x' }])).toEqual([]);
    expect(warned([{}], ['owner'])).toEqual([]);
    expect(exposedSecrets([{ name: '/s/plain', params: { path: '/s/plain' } }])).toEqual([]);
  });
});
