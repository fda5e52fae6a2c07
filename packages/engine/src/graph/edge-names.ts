import type { EdgeSpec, GraphWarning } from './spec.js';

/**
 * Edge names are labels (mgmt does not key edges by them), so a repeated one
 * loads; but messages and events name edges by it, and a repeat is most
 * often a copied line whose name was not changed: said, not refused.
 */
export function warnRepeatedEdgeNames(edges: readonly EdgeSpec[], warnings: GraphWarning[]): void {
  const firstNamed = new Map<string, EdgeSpec>();
  for (const edge of edges) {
    if (edge.name === undefined || edge.name === '') continue;
    const first = firstNamed.get(edge.name);
    if (!first) {
      firstNamed.set(edge.name, edge);
      continue;
    }
    const { file, line } = first.location;
    warnings.push({
      location: edge.location,
      resource: `edge '${edge.name}'`,
      message: `this name is already used by the edge at ${file}:${line}`,
      hint: 'give each edge a name of its own, so that messages about it say which one',
    });
  }
}
