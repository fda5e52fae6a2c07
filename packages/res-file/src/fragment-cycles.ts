import type { GraphValidationIssue, KindResource } from '@converge/engine-api';
import { posix } from 'node:path';
import type { FileParams } from './params.js';
import { fsPath } from './paths.js';

/**
 * File resources of one graph that take each other in as fragments
 * (outA's fragments hold outB, outB's hold outA; or a fragments folder that
 * holds the other): each write adds to the other, and both grow for ever
 * (QA: 4 KB each in 5 s). The autoedges such a cycle would make are
 * dropped as a pair, so no cycle error says it. Told at the first resource
 * of each cycle. A file that is its own fragment is validate's to tell.
 */
export function fragmentCycles(resources: readonly KindResource<FileParams>[]): GraphValidationIssue[] {
  const joined = new Map<string, number>();
  resources.forEach((resource, index) => {
    if (resource.params.fragments !== undefined) joined.set(fsPath(resource.params.path), index);
  });
  if (joined.size < 2) return [];
  const byFolder = new Map<string, number[]>();
  for (const [path, index] of joined) {
    const folder = posix.dirname(path);
    const inFolder = byFolder.get(folder);
    if (inFolder) inFolder.push(index);
    else byFolder.set(folder, [index]);
  }
  /** The joined files whose content `index` takes in: named as a fragment, or in a fragments folder. */
  const takesIn = (index: number): number[] => {
    const own = fsPath((resources[index] as KindResource<FileParams>).params.path);
    const found: number[] = [];
    for (const fragment of (resources[index] as KindResource<FileParams>).params.fragments ?? []) {
      const at = fsPath(fragment);
      if (!fragment.endsWith('/')) {
        const other = joined.get(at);
        if (other !== undefined && at !== own) found.push(other);
        continue;
      }
      for (const other of byFolder.get(at) ?? []) if (other !== index) found.push(other);
    }
    return found;
  };
  const issues: GraphValidationIssue[] = [];
  // 0: not seen, 1: on the path being walked, 2: done.
  const state = new Map<number, 0 | 1 | 2>();
  const walk = (index: number, trail: number[]): void => {
    state.set(index, 1);
    trail.push(index);
    for (const next of takesIn(index)) {
      const seen = state.get(next) ?? 0;
      if (seen === 1) {
        const cycle = trail.slice(trail.indexOf(next));
        const first = Math.min(...cycle);
        const names = [...cycle.slice(cycle.indexOf(first)), ...cycle.slice(0, cycle.indexOf(first)), first].map((at) => fsPath((resources[at] as KindResource<FileParams>).params.path));
        issues.push({
          resource: first,
          param: 'fragments',
          message: `its fragments take in ${names.slice(1).join(', whose fragments take in ')}: each write adds to the other, and they grow for ever`,
          hint: 'remove one of them from the other\'s fragments',
        });
      } else if (seen === 0) {
        walk(next, trail);
      }
    }
    trail.pop();
    state.set(index, 2);
  };
  for (const index of joined.values()) if ((state.get(index) ?? 0) === 0) walk(index, []);
  return issues;
}
