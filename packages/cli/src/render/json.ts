import type { GraphView } from './graph-view.js';

/** `{graph, resources: [{id, kind, name, group}], edges: [{from, to, origin, notify, send, recv}]}`. */
export function renderJson(view: GraphView): string {
  const edges = view.edges.map((edge) => ({ ...edge, send: edge.send ?? null, recv: edge.recv ?? null }));
  return `${JSON.stringify({ graph: view.graph, resources: view.resources, edges }, null, 2)}\n`;
}
