import type { GraphPlan, ResolvedGraph } from '@converge/engine';

/** One vertex of the running graph: a resource, with the resources grouped into it. */
export interface ViewResource {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  /** Ids of the resources autogroup merged into this one. */
  readonly group: readonly string[];
}

export interface ViewEdge {
  readonly from: string;
  readonly to: string;
  readonly origin: 'explicit' | 'auto';
  readonly notify: boolean;
  readonly send?: string;
  readonly recv?: string;
}

/**
 * What the pictures show: ids, kinds and edge kinds only. Param values are
 * left out on purpose (they can hold secrets), and so are resources with
 * `meta: {hidden: true}` and their edges.
 */
export interface GraphView {
  readonly graph: string;
  /** In topological order. */
  readonly resources: readonly ViewResource[];
  readonly edges: readonly ViewEdge[];
}

export function graphView(graph: ResolvedGraph, plan: GraphPlan): GraphView {
  const resources: ViewResource[] = [];
  for (const id of plan.order) {
    const resource = plan.resources.get(id);
    if (!resource || resource.meta.hidden) continue;
    const group = (resource.group ?? []).filter((child) => !child.meta.hidden).map((child) => child.id);
    resources.push({ id, kind: resource.kind, name: resource.name, group });
  }
  const shown = new Set(resources.map((resource) => resource.id));
  const edges = plan.edges
    .filter((edge) => shown.has(edge.from) && shown.has(edge.to))
    .map(
      (edge): ViewEdge => ({
        from: edge.from,
        to: edge.to,
        origin: edge.origin,
        notify: edge.notify,
        ...(edge.send === undefined ? {} : { send: edge.send }),
        ...(edge.recv === undefined ? {} : { recv: edge.recv }),
      }),
    );
  return { graph: graph.name, resources, edges };
}

/** The words written on an edge: `notify`, `send→recv`, or nothing. */
export function edgeLabel(edge: ViewEdge): string {
  const parts: string[] = [];
  if (edge.send !== undefined && edge.recv !== undefined) parts.push(`${edge.send}→${edge.recv}`);
  if (edge.notify) parts.push('notify');
  return parts.join(', ');
}
