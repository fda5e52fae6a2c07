import { describe, expect, it } from 'vitest';
import { contentRings } from '../src/content-rings.js';
import type { FileParams } from '../src/index.js';

const issuesOf = (...resources: Array<Partial<FileParams> & { path: string }>): Array<[number, string]> =>
  contentRings(resources.map((params) => ({ name: params.path, params: params as FileParams }))).map((issue) => [issue.resource, issue.message]);

describe('content rings', () => {
  it('refuses two files that take each other in as fragments, named or through a fragments folder (QA: both grew for ever)', () => {
    expect(issuesOf({ path: '/d/outA', fragments: ['/d/fa/01', '/d/outB'] }, { path: '/d/outB', fragments: ['/d/fb/01', '/d/outA'] })).toEqual([
      [0, 'its fragments take in /d/outB, whose fragments take in /d/outA: each write adds to the other, and they grow for ever'],
    ]);
    expect(issuesOf({ path: '/d/x/a', fragments: ['/d/y/'] }, { path: '/d/y/b', fragments: ['/d/x/'] })).toHaveLength(1);
    // Three in a ring: told once.
    expect(issuesOf({ path: '/a', fragments: ['/b'] }, { path: '/b', fragments: ['/c'] }, { path: '/c', fragments: ['/a'] })).toEqual([
      [0, 'its fragments take in /b, whose fragments take in /c, whose fragments take in /a: each write adds to the other, and they grow for ever'],
    ]);
  });

  it('takes a chain of joined files, without a cycle', () => {
    expect(issuesOf({ path: '/d/all', fragments: ['/d/part1', '/d/parts/'] }, { path: '/d/part1', fragments: ['/src/a'] }, { path: '/d/parts/p2', fragments: ['/src/b'] })).toEqual([]);
    // A file in its own fragments folder is validate's to tell, not a cycle between two.
    expect(issuesOf({ path: '/d/f/joined', fragments: ['/d/f/'] }, { path: '/other', fragments: ['/src/x'] })).toEqual([]);
  });

  it('refuses rings made through a source file or a copied folder (QA: a copy and a fragments folder grew a file to 96 MB in 3 s)', () => {
    // The copy of src/ into dst/ takes in src/all, whose fragments take in what the copy writes into dst/.
    expect(issuesOf({ path: '/t/dst/', source: '/t/src/', recurse: true }, { path: '/t/src/all', fragments: ['/t/dst/'] })).toEqual([
      [0, 'its source holds /t/src/all, whose fragments take in /t/dst/: each write changes the other, and they change for ever'],
    ]);
    // Two files that are each other's source.
    expect(issuesOf({ path: '/t/a', source: '/t/b' }, { path: '/t/b', source: '/t/a' })).toEqual([
      [0, 'its source holds /t/b, whose source holds /t/a: each write changes the other, and they change for ever'],
    ]);
    // A source and fragments: A copies B, B joins A and C.
    expect(issuesOf({ path: '/t/A', source: '/t/B' }, { path: '/t/B', fragments: ['/t/A', '/t/C'] })).toHaveLength(1);
  });

  it('takes copies and joins that feed each other one way, and symlinks (which take in nothing)', () => {
    expect(issuesOf({ path: '/t/dst/', source: '/t/src/', recurse: true }, { path: '/t/src/all', fragments: ['/t/parts/'] }, { path: '/t/report', fragments: ['/t/dst/'] })).toEqual([]);
    expect(issuesOf({ path: '/t/a', source: '/t/b', symlink: true }, { path: '/t/b', source: '/t/a' })).toEqual([]);
    expect(issuesOf({ path: '/t/copy', source: '/t/gen' }, { path: '/t/gen', content: 'x' })).toEqual([]);
  });
});
