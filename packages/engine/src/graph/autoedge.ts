import type { AnyResourceDefinition } from '@converge/engine-api';
import type { ResolvedEdge, ResolvedResource } from './spec.js';

function uidKey(kind: string, key: string): string {
  return `${kind}\u0000${key}`;
}

/**
 * The autoedge pass: every edgeable resource (with `meta.autoedge`) claims
 * uids; every edgeable resource's search is then answered against that
 * index, batch by batch, and each match becomes an edge. Edges already in the
 * graph (either direction) win, so an autoedge never fights an explicit one.
 */
export function autoEdges(
  resources: ReadonlyMap<string, ResolvedResource>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  existing: readonly ResolvedEdge[],
): ResolvedEdge[] {
  const index = new Map<string, string[]>();
  const edgeable: Array<[ResolvedResource, NonNullable<AnyResourceDefinition['edgeable']>]> = [];
  for (const resource of resources.values()) {
    const trait = kinds.get(resource.kind)?.edgeable;
    if (!trait || !resource.meta.autoedge) continue;
    edgeable.push([resource, trait]);
    for (const uid of trait.uids(resource.params, resource.name)) {
      const key = uidKey(uid.kind, uid.key);
      const owners = index.get(key);
      if (owners) owners.push(resource.id);
      else index.set(key, [resource.id]);
    }
  }
  if (edgeable.length === 0) return [];
  const taken = new Set(existing.flatMap((edge) => [`${edge.from}\u0000${edge.to}`, `${edge.to}\u0000${edge.from}`]));
  const added: ResolvedEdge[] = [];
  for (const [resource, trait] of edgeable) {
    const search = trait.autoEdges(resource.params, resource.name);
    let step = search.next();
    while (!step.done) {
      const matched = step.value.map((candidate) => {
        const owners = (index.get(uidKey(candidate.kind, candidate.key)) ?? []).filter((id) => id !== resource.id);
        for (const owner of owners) {
          const [from, to] = candidate.reversed ? [resource.id, owner] : [owner, resource.id];
          const key = `${from}\u0000${to}`;
          if (taken.has(key)) continue;
          taken.add(key);
          taken.add(`${to}\u0000${from}`);
          added.push({ from, to, notify: false, origin: 'auto' });
        }
        return owners.length > 0;
      });
      step = search.next(matched);
    }
  }
  return added;
}
