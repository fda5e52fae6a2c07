import type { ViewEdge } from './graph-view.js';

/**
 * Longest-path layering: roots are in layer 0, every other resource one
 * below its deepest parent, so every edge points downwards. `order` must be
 * topological (parents first).
 */
export function longestPathLayers(order: readonly string[], edges: readonly ViewEdge[]): Map<string, number> {
  const parents = new Map<string, string[]>();
  for (const edge of edges) parents.set(edge.to, [...(parents.get(edge.to) ?? []), edge.from]);
  const layers = new Map<string, number>();
  for (const id of order) {
    const depth = Math.max(-1, ...(parents.get(id) ?? []).map((parent) => layers.get(parent) ?? 0));
    layers.set(id, depth + 1);
  }
  return layers;
}
