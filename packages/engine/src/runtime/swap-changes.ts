import { isDeepStrictEqual } from 'node:util';
import type { AnyResourceDefinition } from '@converge/engine-api';
import type { GroupedResource } from '../graph/autogroup.js';
import type { ResolvedResource } from '../graph/spec.js';
import { sameParams } from './resource-equality.js';

/** What a graph swap did to the graph's resources, by id (members of a group each by its own), in graph order. */
export interface SwapChanges {
  /** In the new graph only. */
  readonly added: readonly string[];
  /** In both, but replaced for what it is: its params, metaparams or send/recv edges differ. */
  readonly changed: readonly string[];
  /** In the old graph only: cleaned up (and put back, with `meta: {reverse: true}`). */
  readonly removed: readonly string[];
}

/** A resource of a graph, with the vertex that runs it (itself, or the group it is in). */
interface Placed {
  readonly resource: ResolvedResource;
  readonly vertex: string;
  readonly grouped: boolean;
}

function placed(vertices: Iterable<GroupedResource>): Map<string, Placed> {
  const all = new Map<string, Placed>();
  for (const top of vertices) {
    const members = top.group ?? [];
    all.set(top.id, { resource: top, vertex: top.id, grouped: members.length > 0 });
    for (const member of members) all.set(member.id, { resource: member, vertex: top.id, grouped: true });
  }
  return all;
}

/**
 * The changes from the vertices `before` to those `after`, of which the
 * vertices `kept` run on untouched. A group is replaced whole when one
 * member comes, goes or changes: its other members, the same as before,
 * are not told as changed.
 */
export function swapChanges(
  before: Iterable<GroupedResource>,
  after: Iterable<GroupedResource>,
  kept: ReadonlyMap<string, unknown>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
): SwapChanges {
  const was = placed(before);
  const now = placed(after);
  const added: string[] = [];
  const changed: string[] = [];
  for (const [id, next] of now) {
    const previous = was.get(id);
    if (previous === undefined) added.push(id);
    else if (!kept.has(next.vertex) && (!(previous.grouped || next.grouped) || !sameMember(previous.resource, next.resource, kinds))) changed.push(id);
  }
  const removed = [...was.keys()].filter((id) => !now.has(id));
  return { added, changed, removed };
}

function sameMember(a: ResolvedResource, b: ResolvedResource, kinds: ReadonlyMap<string, AnyResourceDefinition>): boolean {
  const definition = kinds.get(b.kind);
  return definition !== undefined && isDeepStrictEqual(a.meta, b.meta) && sameParams(definition, a.params, b.params);
}
