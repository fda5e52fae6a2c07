import type { GraphSpec, ResourceSpec } from '../graph/spec.js';
import { resourceId } from '../graph/spec.js';
import { hasExportMark, nameAsRead } from '../graph/legacy-params.js';

/**
 * The graph a host runs: its own graph plus what it collected from others.
 * A collected resource whose `kind[name]` the graph already has is left out:
 * the host's own graph wins, unless its own is hidden (it does not run
 * here): then the collected one takes its place, as it does in mgmt (the
 * host's own hidden export, collected back). The precise re-parse (for error
 * locations) gets the same collected resources.
 */
export function composeGraph(base: GraphSpec, collected: readonly ResourceSpec[]): GraphSpec {
  if (collected.length === 0) return base;
  // As written: mgmt's '@@name' is `name`, hidden (see readExportMark).
  const idOf = (resource: ResourceSpec): string => resourceId(resource.kind, nameAsRead(resource.name));
  const isHidden = (resource: ResourceSpec): boolean => resource.meta['hidden'] === true || hasExportMark(resource.name);
  const own = new Set(base.resources.filter((resource) => !isHidden(resource)).map(idOf));
  const extra = collected.filter((resource) => !own.has(idOf(resource)));
  const replaced = new Set(extra.map(idOf));
  const precise = base.precise;
  return {
    ...base,
    resources: [...base.resources.filter((resource) => !(isHidden(resource) && replaced.has(idOf(resource)))), ...extra],
    ...(precise ? { precise: () => composeGraph(precise(), collected) } : {}),
  };
}
