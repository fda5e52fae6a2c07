import { autoEdges } from '../graph/autoedge.js';
import type { ResolvedEdge, ResolvedGraph } from '../graph/spec.js';
import { topoSort } from '../graph/toposort.js';
import type { Vertex } from './vertex.js';

/** A graph's full edge set (autoedges included) and a topological order. */
export interface GraphPlan {
  readonly edges: ResolvedEdge[];
  readonly order: string[];
}

/** Adds autoedges and checks for cycles; throws ERR_CYCLE before anything runs. */
export function planGraph(graph: ResolvedGraph): GraphPlan {
  const edges = [...graph.edges, ...autoEdges(graph.resources, graph.kinds, graph.edges)];
  return { edges, order: topoSort(graph.resources.keys(), edges) };
}

/** Replaces every vertex's parents and children with `edges`. */
export function wireEdges(vertices: ReadonlyMap<string, Vertex>, edges: readonly ResolvedEdge[]): void {
  for (const vertex of vertices.values()) {
    vertex.parents.length = 0;
    vertex.children.length = 0;
  }
  for (const edge of edges) {
    const from = vertices.get(edge.from);
    const to = vertices.get(edge.to);
    if (!from || !to) throw new Error(`edge between unknown resources ${edge.from} -> ${edge.to}`);
    from.children.push({ to, notify: edge.notify });
    to.parents.push({
      from,
      notify: edge.notify,
      ...(edge.send === undefined ? {} : { send: edge.send }),
      ...(edge.recv === undefined ? {} : { recv: edge.recv }),
    });
  }
}
