import { distinctLine } from '../terminal-text.js';
import { edgeLabel, nodeIds, type GraphView, type ViewEdge } from './graph-view.js';

/**
 * A DOT double-quoted string shown as written: on one line, escapes told
 * apart from what was typed (distinctLine), then each backslash doubled,
 * as a label reads `\n`, `\l` or `\N` as its own escapes.
 */
function quoted(text: string): string {
  return `"${distinctLine(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function edgeAttributes(edge: ViewEdge): string {
  const attributes: string[] = [];
  if (edge.origin === 'auto') attributes.push('style=dashed');
  if (edge.origin === 'through-hidden') attributes.push('style=dotted');
  if (edge.notify) attributes.push(edge.origin === 'auto' ? 'penwidth=2.5' : 'style=bold');
  const label = edgeLabel(edge);
  if (label) attributes.push(`label=${quoted(label)}`);
  return attributes.length > 0 ? ` [${attributes.join(', ')}]` : '';
}

/**
 * Graphviz DOT: explicit edges solid, autoedges dashed, notify bold and
 * labelled, send/recv labelled `key→param`, the order through hidden
 * resources dotted and labelled; a group is a cluster holding its parent
 * (which carries the edges) and its children. Each resource is a node of
 * its own (`r0`, `r1`, …) labelled with its id: two names that would read
 * alike as DOT ids stay two nodes.
 */
export function renderDot(view: GraphView): string {
  const idOf = nodeIds();
  const node = (resource: string, bold = false): string => `${idOf(resource)} [label=${quoted(resource)}${bold ? ', style=bold' : ''}];`;
  const lines = [`digraph ${quoted(view.graph)} {`, '  node [shape=box, fontname="monospace"];'];
  view.resources.forEach((resource, index) => {
    if (resource.group.length === 0) {
      lines.push(`  ${node(resource.id)}`);
      return;
    }
    lines.push(`  subgraph "cluster_${index}" {`, `    label=${quoted(`group of ${resource.id}`)};`, '    style=dashed;');
    lines.push(`    ${node(resource.id, true)}`);
    for (const child of resource.group) lines.push(`    ${node(child)}`);
    lines.push('  }');
  });
  for (const edge of view.edges) lines.push(`  ${idOf(edge.from)} -> ${idOf(edge.to)}${edgeAttributes(edge)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
