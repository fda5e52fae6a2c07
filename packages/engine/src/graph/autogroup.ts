import { DEFAULT_META, type AnyResourceDefinition, type MetaParams } from '@converge/engine-api';
import { pluginCallError } from './plugin-call-failure.js';
import type { ResolvedEdge, ResolvedResource } from './spec.js';

/** A vertex after autogroup: the parent resource and the children merged into it. */
export interface GroupedResource extends ResolvedResource {
  readonly group?: readonly ResolvedResource[];
}

export interface GroupedGraph {
  readonly resources: Map<string, GroupedResource>;
  readonly edges: ResolvedEdge[];
}

/**
 * The autogroup pass. Resources of a groupable kind (with `meta.autogroup`
 * and no send/recv edge) merge into one vertex when the kind's `groupCmp`
 * allows it, both have the same metaparams (but semaphores), and both have the same parents
 * and children (with the same notify flags): the group then waits for,
 * blocks, changes and refreshes exactly what each member would alone. Such
 * members never depend on each other, and the contracted graph has a cycle
 * only where the graph had one: an edge between two groups runs from every
 * member of one to every member of the other. Edges of children move to
 * their parent (duplicates merged); semaphores merge.
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
  const incident = new Map<string, string[]>();
  for (const edge of edges) {
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

  // Candidates by kind, metaparams and place: a group runs, changes, fails and notifies as one, so
  // members with other parents or children would wait for, be blocked by or refresh what they have
  // nothing to do with, and a noop member would be changed with the others, or hold back a parent
  // that is not noop. The group runs with its parent's metaparams: a member whose own differ (a
  // retry, a poll, a reverse) would silently lose them, so it stays apart; only semaphores merge.
  // (Kept apart by kind and place, a long chain of groupable resources is no quadratic search.)
  const parentsByPlace = new Map<string, string[]>();
  for (const resource of resources.values()) {
    const trait = kinds.get(resource.kind)?.groupable;
    // A hidden resource does not run here: in a group it would run with the others.
    if (!trait || !resource.meta.autogroup || resource.meta.hidden || inSendRecv.has(resource.id)) continue;
    const key = `${resource.kind}\n${placeOf(resource.id)}`;
    const candidates = parentsByPlace.get(key) ?? [];
    parentsByPlace.set(key, candidates);
    const target = candidates.find((parentId) => {
      const parent = resources.get(parentId) as ResolvedResource;
      return sameSharedMeta(parent.meta, resource.meta) && groupCmp(trait, parent, resource);
    });
    if (target === undefined) {
      candidates.push(resource.id);
      continue;
    }
    parentOf.set(resource.id, target);
    const members = membersOf.get(target) ?? [target];
    members.push(resource.id);
    membersOf.set(target, members);
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
 * A kind's `groupCmp`: a throw is the plugin's fault, told as a problem of
 * the graph at the resource being grouped (nothing runs), as a throwing
 * `uids` or `validate` is, not as an internal error of converge.
 */
function groupCmp(trait: NonNullable<AnyResourceDefinition['groupable']>, parent: ResolvedResource, resource: ResolvedResource): boolean {
  try {
    return trait.groupCmp(parent.params, resource.params);
  } catch (error) {
    throw pluginCallError(resource, 'groupCmp', error, 'meta: {autogroup: false} on this resource avoids the call');
  }
}

/** The metaparams a group's members must share: all but the semaphores, which merge instead. */
const SHARED_META = (Object.keys(DEFAULT_META) as (keyof MetaParams)[]).filter((name) => name !== 'sema');

/**
 * Whether two resources share their metaparams (semaphores aside). Compared
 * field by field when a candidate is looked for, not made into a key for
 * every groupable resource: that cost 0.7 to 6 µs a resource (70 to 600 ms
 * at 100,000). Values are numbers (Infinity included), booleans and lists
 * of strings.
 */
function sameSharedMeta(a: MetaParams, b: MetaParams): boolean {
  for (let i = 0; i < SHARED_META.length; i++) {
    const name = SHARED_META[i] as keyof MetaParams;
    const left: unknown = a[name];
    const right: unknown = b[name];
    if (left === right) continue;
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    for (let j = 0; j < left.length; j++) if (left[j] !== right[j]) return false;
  }
  return true;
}

/** Appends `value` to the list kept under `key`. */
function addTo(lists: Map<string, string[]>, key: string, value: string): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}
