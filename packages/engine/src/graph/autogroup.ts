import type { AnyResourceDefinition } from '@converge/engine-api';
import type { ResolvedEdge, ResolvedResource } from './spec.js';

/** A vertex after autogroup: the parent resource and the children merged into it. */
export interface GroupedResource extends ResolvedResource {
  readonly group?: readonly ResolvedResource[];
}

/** Rounds that form one tangled group again at a time before splitting all of them. */
const MAX_SINGLE_SPLITS = 16;
/**
 * Vertices and edges walked, at most, to form one tangled group again (a
 * walk per member): a few milliseconds. A larger group is split up, as a
 * long chain of groupable resources, where no two can share a vertex, would
 * otherwise take seconds to find out.
 */
const FORM_AGAIN_BUDGET = 200_000;

export interface GroupedGraph {
  readonly resources: Map<string, GroupedResource>;
  readonly edges: ResolvedEdge[];
}

/**
 * The autogroup pass. Resources of a groupable kind (with `meta.autogroup`
 * and no send/recv edge) merge into one vertex when the kind's `groupCmp`
 * allows it, both have the same `meta.noop`, and both have the same parents
 * and children (with the same notify flags): the group then waits for,
 * blocks, changes and refreshes exactly what each member would alone. Greedy merging refuses direct
 * edges (O(degree) per resource); a dependency through other resources shows
 * up as a cycle of the contracted graph, and a group on or behind a cycle is
 * formed again with only the members that close none (checked one by one,
 * as mgmt checks each merge), until the contracted graph is acyclic. Edges of
 * children move to their parent (self-edges dropped, duplicates merged);
 * semaphores merge.
 */
export function autoGroup(
  resources: ReadonlyMap<string, ResolvedResource>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  edges: readonly ResolvedEdge[],
): GroupedGraph {
  const inSendRecv = new Set<string>();
  for (const edge of edges) {
    if (edge.send === undefined) continue;
    inSendRecv.add(edge.from);
    inSendRecv.add(edge.to);
  }
  let groupable = false;
  for (const resource of resources.values()) {
    if (kinds.get(resource.kind)?.groupable && resource.meta.autogroup) {
      groupable = true;
      break;
    }
  }
  if (!groupable) return { resources: new Map(resources), edges: [...edges] };
  const neighbours = new Map<string, string[]>();
  const incident = new Map<string, string[]>();
  for (const edge of edges) {
    addTo(neighbours, edge.from, edge.to);
    addTo(neighbours, edge.to, edge.from);
    addTo(incident, edge.to, `from ${edge.from}${edge.notify ? ' notify' : ''}`);
    addTo(incident, edge.from, `to ${edge.to}${edge.notify ? ' notify' : ''}`);
  }
  // Where a resource sits in the graph: its parents and children, and which of those edges notify.
  const placeOf = (id: string): string => {
    const entries = incident.get(id);
    return entries === undefined ? '' : [...new Set(entries)].sort().join('\n');
  };
  const parentOf = new Map<string, string>();
  const membersOf = new Map<string, string[]>();
  const find = (id: string): string => parentOf.get(id) ?? id;

  // Candidates by kind, noop and place: a group runs, changes, fails and notifies as one, so members
  // with other parents or children would wait for, be blocked by or refresh what they have nothing
  // to do with, and a noop member would be changed with the others, or hold back a parent that is
  // not noop. (Kept apart by key, a long chain of groupable resources is no quadratic search.)
  const parentsByPlace = new Map<string, string[]>();
  for (const resource of resources.values()) {
    const trait = kinds.get(resource.kind)?.groupable;
    // A hidden resource does not run here: in a group it would run with the others.
    if (!trait || !resource.meta.autogroup || resource.meta.hidden || inSendRecv.has(resource.id)) continue;
    const key = `${resource.kind}\n${resource.meta.noop}\n${placeOf(resource.id)}`;
    const candidates = parentsByPlace.get(key) ?? [];
    parentsByPlace.set(key, candidates);
    const adjacentGroups = new Set((neighbours.get(resource.id) ?? []).map(find));
    const target = candidates.find(
      (parentId) => !adjacentGroups.has(parentId) && trait.groupCmp((resources.get(parentId) as ResolvedResource).params, resource.params),
    );
    if (target === undefined) {
      candidates.push(resource.id);
      continue;
    }
    parentOf.set(resource.id, target);
    const members = membersOf.get(target) ?? [target];
    members.push(resource.id);
    membersOf.set(target, members);
  }

  // Tangled groups, newest first, are formed again one at a time for a few
  // rounds (an older group is often fine once a newer one is), keeping the
  // members that close no cycle; then any still tangled are split up.
  const formed = [...membersOf.keys()];
  const childrenOf = new Map<string, string[]>();
  for (const edge of edges) addTo(childrenOf, edge.from, edge.to);
  /** Whether the contracted graph has a path from the group of `parent` back to it. */
  const onCycle = (parent: string): boolean => {
    const seen = new Set<string>();
    const next = [parent];
    for (let vertex = next.pop(); vertex !== undefined; vertex = next.pop()) {
      for (const member of membersOf.get(vertex) ?? [vertex]) {
        for (const child of childrenOf.get(member) ?? []) {
          const target = find(child);
          if (target === vertex) continue;
          if (target === parent) return true;
          if (!seen.has(target)) {
            seen.add(target);
            next.push(target);
          }
        }
      }
    }
    return false;
  };
  const formAgain = (parent: string): void => {
    const members = membersOf.get(parent) ?? [];
    for (const member of members) parentOf.delete(member);
    // Each member is a walk of the graph: past the budget, the group is split up instead.
    if ((members.length - 1) * (resources.size + edges.length) > FORM_AGAIN_BUDGET) {
      membersOf.delete(parent);
      return;
    }
    const kept = [parent];
    membersOf.set(parent, kept);
    for (const member of members.slice(1)) {
      parentOf.set(member, parent);
      kept.push(member);
      if (!onCycle(parent)) continue;
      parentOf.delete(member);
      kept.pop();
    }
    if (kept.length === 1) membersOf.delete(parent);
  };
  for (let round = 0; ; round++) {
    const tangled = new Set(groupsOnCycles(resources.keys(), edges, find, membersOf));
    if (tangled.size === 0) break;
    if (round < MAX_SINGLE_SPLITS) {
      formAgain(formed.filter((parent) => tangled.has(parent)).pop() as string);
      continue;
    }
    for (const parent of tangled) {
      for (const member of membersOf.get(parent) ?? []) parentOf.delete(member);
      membersOf.delete(parent);
    }
  }

  const grouped = new Map<string, GroupedResource>();
  for (const resource of resources.values()) {
    if (parentOf.has(resource.id)) continue;
    const members = membersOf.get(resource.id);
    if (!members) {
      grouped.set(resource.id, resource);
      continue;
    }
    const group = members.slice(1).map((id) => resources.get(id) as ResolvedResource);
    const sema = [...new Set([resource.meta.sema, ...group.map((child) => child.meta.sema)].flat())];
    grouped.set(resource.id, { ...resource, meta: { ...resource.meta, sema }, group });
  }

  const merged = new Map<string, ResolvedEdge>();
  for (const edge of edges) {
    const from = find(edge.from);
    const to = find(edge.to);
    if (from === to) continue;
    const key = `${from}\u0000${to}\u0000${edge.send ?? ''}\u0000${edge.recv ?? ''}`;
    const existing = merged.get(key);
    if (!existing) merged.set(key, { ...edge, from, to });
    else
      merged.set(key, {
        ...existing,
        notify: existing.notify || edge.notify,
        origin: existing.origin === 'explicit' || edge.origin === 'explicit' ? 'explicit' : 'auto',
      });
  }
  return { resources: grouped, edges: [...merged.values()] };
}

/**
 * Kahn's algorithm on the contracted graph: the groups it cannot order are
 * on a cycle or behind one. Returns their parents (plain resources left out).
 */
function groupsOnCycles(
  ids: Iterable<string>,
  edges: readonly ResolvedEdge[],
  find: (id: string) => string,
  membersOf: ReadonlyMap<string, readonly string[]>,
): string[] {
  if (membersOf.size === 0) return [];
  const indegree = new Map<string, number>();
  for (const id of ids) indegree.set(find(id), 0);
  const children = new Map<string, string[]>();
  for (const edge of edges) {
    const from = find(edge.from);
    const to = find(edge.to);
    if (from === to) continue;
    indegree.set(to, (indegree.get(to) ?? 0) + 1);
    const list = children.get(from);
    if (list) list.push(to);
    else children.set(from, [to]);
  }
  const ready = [...indegree].filter(([, degree]) => degree === 0).map(([id]) => id);
  while (ready.length > 0) {
    const id = ready.pop() as string;
    indegree.delete(id);
    for (const child of children.get(id) ?? []) {
      const left = (indegree.get(child) ?? 0) - 1;
      indegree.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  return [...indegree.keys()].filter((id) => membersOf.has(id));
}

/** Appends `value` to the list kept under `key`. */
function addTo(lists: Map<string, string[]>, key: string, value: string): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}
