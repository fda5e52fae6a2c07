import type { AnyResourceDefinition } from '@converge/engine-api';
import type { GraphWarning, ResolvedEdge, ResolvedResource } from './spec.js';

/** Whether a resource acts on a refresh: its kind's refreshable trait, for every resource or from its params. */
function actsOnRefresh(definition: AnyResourceDefinition | undefined, params: Readonly<Record<string, unknown>>): boolean {
  const refreshable = definition?.refreshable;
  return typeof refreshable === 'function' ? refreshable(params) : refreshable === true;
}

/**
 * A `notify: true` edge to a resource whose kind does nothing on a refresh
 * (a container, a package): the graph runs, and the refresh is lost, with
 * no word. Told as a warning at the edge (mgmt accepts such an edge too).
 */
export function warnNotifyWithoutEffect(
  edges: readonly ResolvedEdge[],
  resources: ReadonlyMap<string, ResolvedResource>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  warnings: GraphWarning[],
): void {
  const notifiesOnward = new Set(edges.filter((edge) => edge.notify).map((edge) => edge.from));
  for (const edge of edges) {
    if (!edge.notify || !edge.location) continue;
    const resource = resources.get(edge.to);
    if (resource?.kind === 'noop' && notifiesOnward.has(edge.to)) {
      // As in mgmt, a noop is told of the refresh and changes nothing, so
      // its own notify edges send none: a chain through it stops there (QA: silently).
      warnings.push({
        location: edge.location,
        resource: 'edge',
        message: `notifies ${edge.to}, which passes no notification on (a noop changes nothing): its own notify edges are never refreshed from here`,
        hint: `notify the resources after ${edge.to} from ${edge.from} directly`,
      });
      continue;
    }
    if (resource === undefined || actsOnRefresh(kinds.get(resource.kind), resource.params)) continue;
    const kindWide = typeof kinds.get(resource.kind)?.refreshable !== 'function';
    warnings.push({
      location: edge.location,
      resource: 'edge',
      message: kindWide
        ? `notifies ${edge.to}, whose kind '${resource.kind}' does nothing on a refresh: the notification is lost`
        : `notifies ${edge.to}, which does nothing on a refresh as its params are (see its kind's README): the notification is lost`,
      hint: 'remove notify: true, or notify a resource that acts on a refresh: an exec with refreshonly: true can restart it',
    });
  }
}
