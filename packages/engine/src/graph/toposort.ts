import { EngineError } from '@converge/engine-api';

export interface EdgeLike {
  readonly from: string;
  readonly to: string;
}

/**
 * Kahn's algorithm over vertex ids. Returns the ids in an order where every
 * edge's `from` comes before its `to`; throws ERR_CYCLE naming one cycle.
 */
export function topoSort(ids: Iterable<string>, edges: readonly EdgeLike[]): string[] {
  const indegree = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const id of ids) {
    indegree.set(id, 0);
    children.set(id, []);
  }
  for (const edge of edges) {
    indegree.set(edge.to, (indegree.get(edge.to) ?? 0) + 1);
    children.get(edge.from)?.push(edge.to);
  }
  const order: string[] = [];
  const ready: string[] = [];
  for (const [id, degree] of indegree) if (degree === 0) ready.push(id);
  while (ready.length > 0) {
    const id = ready.pop() as string;
    order.push(id);
    for (const child of children.get(id) ?? []) {
      const left = (indegree.get(child) ?? 0) - 1;
      indegree.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  if (order.length < indegree.size) {
    const cycle = findCycle(children, new Set([...indegree].filter(([, d]) => d > 0).map(([id]) => id)));
    throw new EngineError('ERR_CYCLE', `the graph has a cycle: ${cycle.join(' -> ')}`, {
      phase: 'validate',
      hint: 'remove or reverse one of these edges (autoedges can be turned off with meta: {autoedge: false})',
    });
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
