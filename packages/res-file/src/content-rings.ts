import type { GraphValidationIssue, KindResource } from '@converge/engine-api';
import { posix } from 'node:path';
import type { FileParams } from './params.js';
import { fsPath, isAncestor } from './paths.js';

/** How one file resource's content takes in what another writes. */
type Via = 'fragments' | 'source';

interface Step {
  readonly to: number;
  readonly via: Via;
}

/** A path below (or at) `folder`. */
function isWithin(path: string, folder: string): boolean {
  return path === folder || isAncestor(folder, path);
}

/**
 * File resources of one graph whose contents take each other in: through
 * fragments (named, or a fragments folder's files), through a source file,
 * or through a copied folder (a copy takes in everything below its source,
 * and writes everything below its path). Each write changes the other, so
 * they change for ever, and joined files grow until the disk is full (QA:
 * 96 MB in 3 s). The autoedges such a ring would make are dropped as a
 * pair, so no cycle error says it. Told at the first resource of each ring.
 * A file that takes itself in is validate's (and the copy checks') to tell.
 */
export function contentRings(resources: readonly KindResource<FileParams>[]): GraphValidationIssue[] {
  const files = new Map<string, number>();
  const trees: Array<{ path: string; index: number }> = [];
  const byFolder = new Map<string, number[]>();
  resources.forEach((resource, index) => {
    const { params } = resource;
    const path = fsPath(params.path);
    if (!params.path.endsWith('/')) {
      files.set(path, index);
      const folder = posix.dirname(path);
      byFolder.set(folder, [...(byFolder.get(folder) ?? []), index]);
    } else if (params.source !== undefined && !params.symlink) {
      trees.push({ path, index });
    }
  });
  const readers = resources.flatMap((resource, index) => (resource.params.fragments !== undefined || (resource.params.source !== undefined && !resource.params.symlink) ? [index] : []));
  if (readers.length === 0) return [];

  /** The resources that write what `index` reads, each once, with how it reads it. */
  const takesIn = (index: number): Step[] => {
    const { params } = resources[index] as KindResource<FileParams>;
    const steps = new Map<number, Via>();
    const add = (to: number | undefined, via: Via): void => {
      if (to !== undefined && to !== index && !steps.has(to)) steps.set(to, via);
    };
    const treesHolding = (path: string, via: Via): void => {
      for (const tree of trees) if (isWithin(path, tree.path)) add(tree.index, via);
    };
    for (const fragment of params.fragments ?? []) {
      const at = fsPath(fragment);
      if (fragment.endsWith('/')) {
        for (const other of byFolder.get(at) ?? []) add(other, 'fragments');
      } else {
        add(files.get(at), 'fragments');
      }
      treesHolding(at, 'fragments');
    }
    if (params.source !== undefined && !params.symlink) {
      const at = fsPath(params.source);
      if (params.source.endsWith('/')) {
        for (const [path, other] of files) if (isWithin(path, at)) add(other, 'source');
        for (const tree of trees) if (isWithin(tree.path, at) || isWithin(at, tree.path)) add(tree.index, 'source');
      } else {
        add(files.get(at), 'source');
        treesHolding(at, 'source');
      }
    }
    return [...steps].map(([to, via]) => ({ to, via }));
  };

  const pathOf = (index: number): string => (resources[index] as KindResource<FileParams>).params.path;
  const issues: GraphValidationIssue[] = [];
  // 0: not seen, 1: on the path being walked, 2: done.
  const state = new Map<number, 0 | 1 | 2>();
  const nodes: number[] = [];
  /** vias[i]: how nodes[i] takes in nodes[i + 1]. */
  const vias: Via[] = [];
  const walk = (index: number): void => {
    state.set(index, 1);
    nodes.push(index);
    for (const step of takesIn(index)) {
      const seen = state.get(step.to) ?? 0;
      if (seen === 1) {
        const from = nodes.indexOf(step.to);
        issues.push(ringIssue(nodes.slice(from), [...vias.slice(from), step.via], pathOf));
      } else if (seen === 0) {
        vias.push(step.via);
        walk(step.to);
        vias.pop();
      }
    }
    nodes.pop();
    state.set(index, 2);
  };
  for (const index of readers) if ((state.get(index) ?? 0) === 0) walk(index);
  return issues;
}

/** The issue of a ring, told at its first resource; `vias[i]` is how `members[i]` takes in the next one (the last, the first). */
function ringIssue(members: readonly number[], vias: readonly Via[], pathOf: (index: number) => string): GraphValidationIssue {
  const first = members.indexOf(Math.min(...members));
  const order = [...members.slice(first), ...members.slice(0, first)];
  const how = [...vias.slice(first), ...vias.slice(0, first)];
  const says = (via: Via): string => (via === 'fragments' ? 'fragments take in' : 'source holds');
  const parts = order.map((_, at) => `${says(how[at] as Via)} ${pathOf(order[(at + 1) % order.length] as number)}`);
  const onlyFragments = how.every((via) => via === 'fragments');
  return {
    resource: order[0] as number,
    param: how[0] as Via,
    message: `its ${parts.join(', whose ')}: each write ${onlyFragments ? 'adds to the other, and they grow for ever' : 'changes the other, and they change for ever'}`,
    hint: onlyFragments ? "remove one of them from the other's fragments" : 'break the ring: one of them must not take in what another writes',
  };
}
