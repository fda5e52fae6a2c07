import { oneLine } from '../terminal-text.js';
import { edgeLabel, type GraphView, type ViewEdge } from './graph-view.js';

/**
 * A DOT double-quoted string (ids hold brackets, slashes and spaces); control
 * characters written as escapes first, so a name stays one line of text.
 */
function quoted(text: string): string {
  return `"${oneLine(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function edgeAttributes(edge: ViewEdge): string {
  const attributes: string[] = [];
  if (edge.origin === 'auto') attributes.push('style=dashed');
  if (edge.notify) attributes.push(edge.origin === 'auto' ? 'penwidth=2.5' : 'style=bold');
  const label = edgeLabel(edge);
  if (label) attributes.push(`label=${quoted(label)}`);
  return attributes.length > 0 ? ` [${attributes.join(', ')}]` : '';
}

/**
 * Graphviz DOT: explicit edges solid, autoedges dashed, notify bold and
 * labelled, send/recv labelled `key→param`; a group is a cluster holding its
 * parent (which carries the edges) and its children.
 */
export function renderDot(view: GraphView): string {
  const lines = [`digraph ${quoted(view.graph)} {`, '  node [shape=box, fontname="monospace"];'];
  view.resources.forEach((resource, index) => {
    if (resource.group.length === 0) {
      lines.push(`  ${quoted(resource.id)};`);
      return;
    }
    lines.push(`  subgraph ${quoted(`cluster_${index}`)} {`, `    label=${quoted(`group of ${resource.id}`)};`, '    style=dashed;');
    lines.push(`    ${quoted(resource.id)} [style=bold];`);
    for (const child of resource.group) lines.push(`    ${quoted(child)};`);
    lines.push('  }');
  });
  for (const edge of view.edges) lines.push(`  ${quoted(edge.from)} -> ${quoted(edge.to)}${edgeAttributes(edge)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
