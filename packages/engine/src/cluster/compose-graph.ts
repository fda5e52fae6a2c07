import type { GraphSpec, ResourceSpec } from '../graph/spec.js';
import { resourceId } from '../graph/spec.js';

/**
 * The graph a host runs: its own graph plus what it collected from others.
 * A collected resource whose `kind[name]` the graph already has is left out:
 * the host's own graph wins. The precise re-parse (for error locations) gets
 * the same collected resources.
 */
export function composeGraph(base: GraphSpec, collected: readonly ResourceSpec[]): GraphSpec {
  if (collected.length === 0) return base;
  const own = new Set(base.resources.map((resource) => resourceId(resource.kind, resource.name)));
  const extra = collected.filter((resource) => !own.has(resourceId(resource.kind, resource.name)));
  const precise = base.precise;
  return {
    ...base,
    resources: [...base.resources, ...extra],
    ...(precise ? { precise: () => composeGraph(precise(), collected) } : {}),
  };
}
