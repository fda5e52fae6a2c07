import type { CollectSpec, EdgeEndSpec, EdgeSpec, GraphWarning } from './spec.js';

/**
 * mgmt lowercases the kinds of `collect:` entries and of edge ends, so a
 * graph written for it may say `kind: File` or `kind: Noop`. A collect kind
 * is read lowercased; an edge end's kind only when the graph has no
 * resource of the kind as written and has one of its lowercase (a plugin
 * may name a kind with capitals). Each is told as a warning at its place.
 */
export function lowercasedCollectKinds(collect: readonly CollectSpec[], warnings: GraphWarning[]): CollectSpec[] {
  return collect.map((entry) => {
    const kind = entry.kind.toLowerCase();
    if (kind === entry.kind) return entry;
    warnings.push({ location: entry.location, resource: `collect '${entry.kind}'`, message: `read kind '${entry.kind}' as '${kind}', as mgmt does`, hint: `write kind: ${kind}` });
    return { ...entry, kind };
  });
}

export function lowercasedEdgeKinds(edges: readonly EdgeSpec[], resourceKinds: ReadonlySet<string>, warnings: GraphWarning[]): EdgeSpec[] {
  return edges.map((edge) => {
    const from = lowercasedEnd(edge, edge.from, resourceKinds, warnings);
    const to = lowercasedEnd(edge, edge.to, resourceKinds, warnings);
    return from === edge.from && to === edge.to ? edge : { ...edge, from, to };
  });
}

function lowercasedEnd(edge: EdgeSpec, end: EdgeEndSpec, resourceKinds: ReadonlySet<string>, warnings: GraphWarning[]): EdgeEndSpec {
  const kind = end.kind.toLowerCase();
  if (kind === end.kind || resourceKinds.has(end.kind) || !resourceKinds.has(kind)) return end;
  warnings.push({
    location: edge.location,
    resource: edge.name === undefined ? 'edge' : `edge '${edge.name}'`,
    message: `read kind '${end.kind}' as '${kind}', as mgmt does`,
    hint: `write kind: ${kind}`,
  });
  return { ...end, kind };
}
