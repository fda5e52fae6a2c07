import { autoEdges } from '../graph/autoedge.js';
import { autoGroup, type GroupedResource } from '../graph/autogroup.js';
import type { ResolvedEdge, ResolvedGraph } from '../graph/spec.js';
import { EngineError } from '@converge/engine-api';
import { CycleError, cyclePath, topoSort } from '../graph/toposort.js';
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
    to.parents.push({
      from,
      notify: edge.notify,
      ...(edge.send === undefined ? {} : { send: edge.send }),
      ...(edge.recv === undefined ? {} : { recv: edge.recv }),
    });
  }
}

/**
 * A cycle as the user can find it: at the first of its resources written in
 * a file, with each automatic edge of it named (they are in no file).
 */
/** Automatic edges of a cycle named in its message, at most. */
const AUTOMATIC_SHOWN = 6;

function locatedCycle(graph: ResolvedGraph, edges: readonly ResolvedEdge[], cycle: readonly string[]): EngineError {
  // One lookup per step: a search of every edge per step took seconds on a cycle of 10,000 (QA).
  const cycleEdges = new Map<string, ResolvedEdge>();
  const onCycle = new Set(cycle);
  for (const edge of edges) if (onCycle.has(edge.from) && onCycle.has(edge.to)) cycleEdges.set(`${edge.from}\0${edge.to}`, edge);
  const automatic: string[] = [];
  cycle.forEach((id, index) => {
    const next = cycle[index + 1];
    if (next === undefined) return;
    const edge = cycleEdges.get(`${id}\0${next}`);
    if (edge && edge.origin !== 'explicit') automatic.push(`${id} -> ${next}`);
  });
  const location = cycle.map((id) => graph.resources.get(id)?.location).find((where) => where !== undefined);
  const shownAutomatic = automatic.length > AUTOMATIC_SHOWN ? [...automatic.slice(0, AUTOMATIC_SHOWN), `${automatic.length - AUTOMATIC_SHOWN} more`] : automatic;
  const autoNote = automatic.length > 0 ? ` (automatic: ${shownAutomatic.join(', ')})` : '';
  return new EngineError('ERR_CYCLE', `the graph has a cycle: ${cyclePath(cycle)}${autoNote}`, {
    phase: 'validate',
    ...(location ? { location } : {}),
    hint:
      automatic.length > 0
        ? 'remove or reverse an edge you wrote, or set meta: {autoedge: false} on a resource of an automatic edge'
        : 'remove or reverse one of these edges',
  });
}
