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

  it('is not when the mode keeps it to the owner, the file is absent or not a file, or the secret goes elsewhere', () => {
    expect(warned([{ mode: '0600' }, { mode: '0400' }, { mode: 600 }, { mode: 'u=rw,go=' }, { mode: '0711' }, { state: 'absent' }, { path: '/s/dir/' }, { symlink: true, source: '/x' }])).toEqual([]);
    expect(warned([{}], ['owner'])).toEqual([]);
    expect(exposedSecrets([{ name: '/s/plain', params: { path: '/s/plain' } }])).toEqual([]);
  });
});
