import { EngineError } from '@converge/engine-api';

export interface EdgeLike {
  readonly from: string;
  readonly to: string;
}

/** ERR_CYCLE, with the cycle it found as a closed path of ids. */
export class CycleError extends EngineError {
  constructor(readonly cycle: readonly string[]) {
    super('ERR_CYCLE', `the graph has a cycle: ${cyclePath(cycle)}`, {
      phase: 'validate',
      hint: 'remove or reverse one of these edges (autoedges can be turned off with meta: {autoedge: false})',
    });
  }
}

/** Resources of a longer cycle told, at its start and its end: all of them made a message of 300 KB on one line (QA, 10,000). */
const CYCLE_SHOWN = 12;

/** `a -> b -> a`; a long cycle by its first and last few resources, with how many are left out between. */
export function cyclePath(cycle: readonly string[]): string {
  if (cycle.length <= CYCLE_SHOWN + 1) return cycle.join(' -> ');
  const half = CYCLE_SHOWN / 2;
  // The last id shown is the first again (a closed path): one fewer shown than ids written.
  const between = cycle.length - CYCLE_SHOWN;
  return [...cycle.slice(0, half), `(${between} more)`, ...cycle.slice(-half)].join(' -> ');
}

/**
 * Kahn's algorithm over vertex ids. Returns the ids in an order where every
 * edge's `from` comes before its `to`; throws ERR_CYCLE naming one cycle.
 */
export function topoSort(ids: Iterable<string>, edges: readonly EdgeLike[]): string[] {
  // Integer indexes and typed arrays: this runs on every graph load and swap,
  // on graphs of 100,000 resources.
  const names = [...ids];
  const index = new Map<string, number>();
  for (let i = 0; i < names.length; i++) index.set(names[i] as string, i);
  const indegree = new Int32Array(names.length);
  const firstChild = new Int32Array(names.length).fill(-1);
  const nextSibling = new Int32Array(edges.length);
  const childOf = new Int32Array(edges.length);
  let used = 0;
  for (const edge of edges) {
    const from = index.get(edge.from);
    const to = index.get(edge.to);
    if (from === undefined || to === undefined) continue;
    indegree[to] = (indegree[to] as number) + 1;
    childOf[used] = to;
    nextSibling[used] = firstChild[from] as number;
    firstChild[from] = used++;
  }
  const order: string[] = [];
  const ready: number[] = [];
  for (let i = names.length - 1; i >= 0; i--) if (indegree[i] === 0) ready.push(i);
  while (ready.length > 0) {
    const vertex = ready.pop() as number;
    order.push(names[vertex] as string);
    for (let slot = firstChild[vertex] as number; slot !== -1; slot = nextSibling[slot] as number) {
      const child = childOf[slot] as number;
      indegree[child] = (indegree[child] as number) - 1;
      if (indegree[child] === 0) ready.push(child);
    }
  }
  if (order.length < names.length) {
    const children = new Map<string, string[]>();
    for (const name of names) children.set(name, []);
    for (const edge of edges) children.get(edge.from)?.push(edge.to);
    const leftovers = new Set(names.filter((_, i) => (indegree[i] as number) > 0));
    throw new CycleError(findCycle(children, leftovers));
  }
  return order;
}

/** One cycle among `leftovers` (vertices Kahn's algorithm could not order), as a closed path. */
function findCycle(children: ReadonlyMap<string, readonly string[]>, leftovers: ReadonlySet<string>): string[] {
  // Every leftover vertex still has a leftover parent, so walking parents
  // from any of them must repeat a vertex: that repetition is a cycle.
  const parents = new Map<string, string>();
  for (const [id, kids] of children) {
    if (!leftovers.has(id)) continue;
    for (const kid of kids) if (leftovers.has(kid) && !parents.has(kid)) parents.set(kid, id);
  }
  const seenAt = new Map<string, number>();
  const walk: string[] = [];
  let current = leftovers.values().next().value as string;
  while (!seenAt.has(current)) {
    seenAt.set(current, walk.length);
    walk.push(current);
    current = parents.get(current) as string;
  }
  const cycle = walk.slice(seenAt.get(current)).reverse();
  return [...cycle, cycle[0] as string];
}
