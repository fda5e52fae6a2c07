import type { AnyResourceDefinition } from '@converge/engine-api';
import { pluginCallError } from './plugin-call-failure.js';
import type { ResolvedEdge, ResolvedResource } from './spec.js';

/** Pairs of resource ids, without building a string per pair (this runs for every candidate). */
class PairSet {
  readonly #pairs = new Map<string, Set<string>>();

  has(a: string, b: string): boolean {
    return this.#pairs.get(a)?.has(b) === true;
  }

  /** Marks both directions: one autoedge per pair of resources. */
  addBoth(a: string, b: string): void {
    this.add(a, b);
    this.add(b, a);
  }

  add(a: string, b: string): void {
    const set = this.#pairs.get(a);
    if (set) set.add(b);
    else this.#pairs.set(a, new Set([b]));
  }
}

/**
 * The autoedge pass: every edgeable resource (with `meta.autoedge`) claims
 * uids; every edgeable resource's search is then answered against that
 * index, batch by batch, and each match becomes an edge. An edge already in
 * the graph makes the same autoedge redundant; one written the other way is
 * kept opposed, so that the cycle they make is refused with both named
 * (a file ordered before its own folder cannot be written).
 */
export function autoEdges(
  resources: ReadonlyMap<string, ResolvedResource>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  existing: readonly ResolvedEdge[],
): ResolvedEdge[] {
  // uid kind -> uid key -> ids of the resources claiming it
  const index = new Map<string, Map<string, string[]>>();
  const edgeable: Array<[ResolvedResource, NonNullable<AnyResourceDefinition['edgeable']>]> = [];
  for (const resource of resources.values()) {
    const trait = kinds.get(resource.kind)?.edgeable;
    if (!trait || !resource.meta.autoedge) continue;
    edgeable.push([resource, trait]);
    for (const uid of fromPlugin(resource, 'uids', () => trait.uids(resource.params, resource.name))) {
      let byKey = index.get(uid.kind);
      if (!byKey) index.set(uid.kind, (byKey = new Map()));
      const owners = byKey.get(uid.key);
      if (owners) owners.push(resource.id);
      else byKey.set(uid.key, [resource.id]);
    }
  }
  if (edgeable.length === 0) return [];
  const taken = new PairSet();
  for (const edge of existing) taken.add(edge.from, edge.to);
  const added: ResolvedEdge[] = [];
  for (const [resource, trait] of edgeable) {
    const search = fromPlugin(resource, 'autoEdges', () => trait.autoEdges(resource.params, resource.name));
    let step = fromPlugin(resource, 'autoEdges', () => search.next());
    while (!step.done) {
      const matched = step.value.map((candidate) => {
        const owners = index.get(candidate.kind)?.get(candidate.key);
        let found = false;
        for (const owner of owners ?? []) {
          if (owner === resource.id) continue;
          found = true;
          const from = candidate.reversed ? resource.id : owner;
          const to = candidate.reversed ? owner : resource.id;
          if (taken.has(from, to)) continue;
          taken.addBoth(from, to);
          added.push({ from, to, notify: false, origin: 'auto' });
        }
        return found;
      });
      step = fromPlugin(resource, 'autoEdges', () => search.next(matched));
    }
  }
  return added;
}

/**
 * A call into a kind's edgeable trait: a throw is the plugin's fault, told
 * as a problem of the graph at the resource (nothing runs), not as an
 * internal error of converge.
 */
function fromPlugin<T>(resource: ResolvedResource, what: 'uids' | 'autoEdges', call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw pluginCallError(resource, what, error, 'meta: {autoedge: false} on this resource avoids the call');
  }
}
