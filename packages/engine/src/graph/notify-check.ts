import type { AnyResourceDefinition, SourceLocation } from '@converge/engine-api';
import type { GraphWarning, ResolvedEdge, ResolvedResource } from './spec.js';

/** `edge kind[name] -> kind[name]`: a resolved edge has no name of its own, and its ends say which one it is. */
function edgeLabel(edge: ResolvedEdge): string {
  return `edge ${edge.from} -> ${edge.to}`;
}

/** Where the edge's `notify: true` is written: of the edges merged into one, the first that asks (QA: the warning was told at the first edge, which did not). */
function notifyPlace(edge: ResolvedEdge): SourceLocation | undefined {
  return edge.notifyLocation ?? edge.location;
}

/** `kind[name] -> kind[name] (file:line)`, so that an edge told of in another's warning can be found. */
function edgeWithPlace(edge: ResolvedEdge): string {
  const place = notifyPlace(edge);
  return place ? `${edge.from} -> ${edge.to} (${place.file}:${place.line})` : `${edge.from} -> ${edge.to}`;
}

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
  const notifyingFrom = new Map<string, ResolvedEdge[]>();
  for (const edge of edges) {
    if (edge.notify) notifyingFrom.set(edge.from, [...(notifyingFrom.get(edge.from) ?? []), edge]);
  }
  for (const edge of edges) {
    const location = notifyPlace(edge);
    if (!edge.notify || !location) continue;
    const resource = resources.get(edge.to);
    const onward = notifyingFrom.get(edge.to);
    if (resource?.kind === 'noop' && onward) {
      // As in mgmt, a noop is told of the refresh and changes nothing, so
      // its own notify edges send none: a chain through it stops there (QA:
      // silently). Both the edge in and the edges on are named (QA: the
      // warning named neither, and a graph with many noops left it to guess).
      const many = onward.length > 1;
      warnings.push({
        location,
        resource: edgeLabel(edge),
        message: `notifies ${edge.to}, which passes no notification on (a noop changes nothing): its own notify ${many ? 'edges' : 'edge'} ${onward.map(edgeWithPlace).join(', ')} ${many ? 'are' : 'is'} never refreshed from here`,
        hint: `notify ${onward.map((next) => next.to).join(', ')} from ${edge.from} directly`,
      });
      continue;
    }
    if (resource === undefined || actsOnRefresh(kinds.get(resource.kind), resource.params)) continue;
    const kindWide = typeof kinds.get(resource.kind)?.refreshable !== 'function';
    warnings.push({
      location,
      resource: edgeLabel(edge),
      message: kindWide
        ? `notifies ${edge.to}, whose kind '${resource.kind}' does nothing on a refresh: the notification is lost`
        : `notifies ${edge.to}, which does nothing on a refresh as its params are (see its kind's README): the notification is lost`,
      hint: 'remove notify: true, or notify a resource that acts on a refresh: an exec with refreshonly: true can restart it',
    });
  }
}
