import { autoEdges } from '../graph/autoedge.js';
import { autoGroup, type GroupedResource } from '../graph/autogroup.js';
import type { ResolvedEdge, ResolvedGraph } from '../graph/spec.js';
import { locatedCycle } from '../graph/located-cycle.js';
import { CycleError, topoSort } from '../graph/toposort.js';
import type { Vertex } from './vertex.js';

/** A graph as it will run: autoedges added, resources grouped, in topological order. */
export interface GraphPlan {
  readonly resources: ReadonlyMap<string, GroupedResource>;
  readonly edges: ResolvedEdge[];
  readonly order: string[];
}

/**
 * The passes between a checked graph and the running one: autoedges, then
 * autogroup, then a topological sort. Throws ERR_CYCLE (autoedges can close
 * a cycle) before anything runs.
 */
export function planGraph(graph: ResolvedGraph): GraphPlan {
  let plan = plans.get(graph);
  if (!plan) {
    plan = makePlan(graph);
    plans.set(graph, plan);
  }
  return plan;
}

/** Plans by graph: loading a graph plans it (to find cycles autoedges close), and starting it needs the same plan. */
const plans = new WeakMap<ResolvedGraph, GraphPlan>();

function makePlan(graph: ResolvedGraph): GraphPlan {
  const withAutoEdges = [...graph.edges, ...autoEdges(graph.resources, graph.kinds, graph.edges)];
  // Cycles are refused before grouping, so the error names real resources.
  try {
    topoSort(graph.resources.keys(), withAutoEdges);
  } catch (error) {
    if (error instanceof CycleError) throw locatedCycle(graph, withAutoEdges, error.cycle);
    throw error;
  }
  const grouped = autoGroup(graph.resources, graph.kinds, withAutoEdges);
  return { resources: grouped.resources, edges: grouped.edges, order: topoSort(grouped.resources.keys(), grouped.edges) };
}

/** Replaces every vertex's parents and children with `edges`. */
export function wireEdges(vertices: ReadonlyMap<string, Vertex>, edges: readonly ResolvedEdge[]): void {
  // Index loops and forEach: see the note on Vertex.parents.
  vertices.forEach((vertex) => {
    vertex.parents.length = 0;
    vertex.children.length = 0;
  });
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i] as ResolvedEdge;
    const from = vertices.get(edge.from);
    const to = vertices.get(edge.to);
    if (!from || !to) throw new Error(`edge between unknown resources ${edge.from} -> ${edge.to}`);
    from.children.push({ to, notify: edge.notify });
    // Most edges carry no value: no spread of empty objects for them (each an allocation and a copy).
    to.parents.push(
      edge.send === undefined && edge.recv === undefined
        ? { from, notify: edge.notify }
        : { from, notify: edge.notify, ...(edge.send === undefined ? {} : { send: edge.send }), ...(edge.recv === undefined ? {} : { recv: edge.recv }) },
    );
  }
}
