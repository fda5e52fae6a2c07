import { describe, expect, it } from 'vitest';
import { fragmentCycles } from '../src/fragment-cycles.js';
import type { FileParams } from '../src/index.js';

const issuesOf = (...resources: Array<Partial<FileParams> & { path: string }>): Array<[number, string]> =>
  fragmentCycles(resources.map((params) => ({ name: params.path, params: params as FileParams }))).map((issue) => [issue.resource, issue.message]);

describe('fragment cycles', () => {
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
});
