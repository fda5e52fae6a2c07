import type { AnyResourceDefinition } from '@converge/engine-api';
import type { GraphWarning, ResolvedEdge } from './spec.js';

/**
 * A `notify: true` edge to a resource whose kind does nothing on a refresh
 * (a container, a package): the graph runs, and the refresh is lost, with
 * no word. Told as a warning at the edge (mgmt accepts such an edge too).
 */
export function warnNotifyWithoutEffect(
  edges: readonly ResolvedEdge[],
  resourceKinds: ReadonlyMap<string, string>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  warnings: GraphWarning[],
): void {
  for (const edge of edges) {
    if (!edge.notify || !edge.location) continue;
    const kind = resourceKinds.get(edge.to);
    if (kind === undefined || kinds.get(kind)?.refreshable) continue;
    warnings.push({
      location: edge.location,
      resource: 'edge',
      message: `notifies ${edge.to}, whose kind '${kind}' does nothing on a refresh: the notification is lost`,
      hint: 'remove notify: true, or notify a resource that acts on a refresh: an exec with refreshonly: true can restart it',
    });
  }
}
