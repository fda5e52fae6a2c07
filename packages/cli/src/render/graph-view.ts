import type { EdgeOrigin, GraphPlan, ResolvedGraph } from '@converge/engine';

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
  /**
   * `through-hidden`: no edge of the graph, but the order that hidden
   * resources between the two carry (`from` → hidden → … → `to`), which
   * the run keeps.
   */
  readonly origin: EdgeOrigin | 'through-hidden';
  readonly notify: boolean;
  readonly send?: string;
  readonly recv?: string;
}

/**
 * What the pictures show: ids, kinds and edge kinds only. Param values are
 * left out on purpose (they can hold secrets), and so are resources with
 * `meta: {hidden: true}` and their edges; the order a hidden resource
 * carries between two shown ones is kept, as a `through-hidden` edge.
 */
export interface GraphView {
  readonly graph: string;
  /** In topological order. */
  readonly resources: readonly ViewResource[];
  readonly edges: readonly ViewEdge[];
}

/** A vertex of the running graph, hidden or not: what `visibleView` takes. */
export interface ViewVertex extends ViewResource {
  readonly hidden: boolean;
}

/** An edge of the running graph: what `visibleView` takes (locations and other fields are not looked at). */
export type GraphEdge = Pick<ViewEdge, 'from' | 'to' | 'notify' | 'send' | 'recv'> & { readonly origin: EdgeOrigin };

export function graphView(graph: ResolvedGraph, plan: GraphPlan): GraphView {
  const vertices: ViewVertex[] = [];
  for (const id of plan.order) {
    const resource = plan.resources.get(id);
    if (!resource) continue;
    const group = (resource.group ?? []).filter((child) => !child.meta.hidden).map((child) => child.id);
    vertices.push({ id, kind: resource.kind, name: resource.name, group, hidden: resource.meta.hidden });
  }
  return visibleView(graph.name, vertices, plan.edges);
}

/**
 * The graph without its hidden vertices. An edge into a hidden vertex would
 * leave out the order it carries (`a → hidden → c`: `c` still runs after
 * `a`, QA: drawn as two unconnected boxes), so each shown vertex gets a
 * `through-hidden` edge to each shown vertex it reaches through hidden ones
 * only, unless an edge of the graph joins the two already. It never
 * notifies: a hidden resource changes nothing, so it refreshes nobody.
 */
export function visibleView(graph: string, vertices: readonly ViewVertex[], edges: readonly GraphEdge[]): GraphView {
  const resources = vertices.filter((vertex) => !vertex.hidden).map(({ id, kind, name, group }) => ({ id, kind, name, group }));
  const shown = new Set(resources.map((resource) => resource.id));
  const hidden = new Set(vertices.filter((vertex) => vertex.hidden).map((vertex) => vertex.id));
  const view: ViewEdge[] = [];
  const joined = new Set<string>();
  const outOfHidden = new Map<string, string[]>();
  const intoHidden = new Map<string, string[]>();
  for (const { from, to, origin, notify, send, recv } of edges) {
    if (shown.has(from) && shown.has(to)) {
      view.push({ from, to, origin, notify, ...(send === undefined ? {} : { send }), ...(recv === undefined ? {} : { recv }) });
      joined.add(pairKey(from, to));
    } else if (hidden.has(from)) {
      outOfHidden.set(from, [...(outOfHidden.get(from) ?? []), to]);
    } else if (shown.has(from) && hidden.has(to)) {
      intoHidden.set(from, [...(intoHidden.get(from) ?? []), to]);
    }
  }
  for (const [from, firstHidden] of intoHidden) {
    // Each hidden vertex reachable from `from` is walked once.
    const seen = new Set<string>(firstHidden);
    const pending = [...firstHidden];
    for (let vertex = pending.pop(); vertex !== undefined; vertex = pending.pop()) {
      for (const next of outOfHidden.get(vertex) ?? []) {
        if (hidden.has(next) && !seen.has(next)) {
          seen.add(next);
          pending.push(next);
        } else if (shown.has(next) && !joined.has(pairKey(from, next))) {
          view.push({ from, to: next, origin: 'through-hidden', notify: false });
          joined.add(pairKey(from, next));
        }
      }
    }
  }
  return { graph, resources, edges: view };
}

function pairKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

/** The words written on an edge: `through hidden`, `notify`, `send→recv`, or nothing. */
export function edgeLabel(edge: ViewEdge): string {
  const parts: string[] = [];
  if (edge.origin === 'through-hidden') parts.push('through hidden');
  if (edge.send !== undefined && edge.recv !== undefined) parts.push(`${edge.send}→${edge.recv}`);
  if (edge.notify) parts.push('notify');
  return parts.join(', ');
}

/**
 * Node ids for the formats whose ids are text (`r0`, `r1`, … in the order
 * asked): one per resource, whatever its name holds, so two names that
 * look alike are never drawn as one node.
 */
export function nodeIds(): (resource: string) => string {
  const ids = new Map<string, string>();
  return (resource) => {
    let id = ids.get(resource);
    if (id === undefined) {
      id = `r${ids.size}`;
      ids.set(resource, id);
    }
    return id;
  };
}
