import { distinctLine } from '../terminal-text.js';
import { edgeLabel, nodeIds, type GraphView, type ViewEdge } from './graph-view.js';

/**
 * Mermaid node text: quoted, with the characters Mermaid would read as
 * syntax turned into entities; `#` too, which starts one (a name holding
 * `#amp;` would show as one holding `&`).
 */
function label(text: string): string {
  // Control characters escaped first (a name can hold a newline or an escape sequence: one node, one line), told apart from typed ones.
  return `"${distinctLine(text).replace(/#/g, '#35;').replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')}"`;
}

/** Explicit `-->`, auto and through hidden resources `-.->`, notify thick `==>`; the label says notify, send→recv and through hidden. */
function arrow(edge: ViewEdge): string {
  const shape = edge.notify ? '==>' : edge.origin === 'explicit' ? '-->' : '-.->';
  const text = edgeLabel(edge);
  return text ? `${shape}|${label(text)}|` : shape;
}

/**
 * A Mermaid flowchart. Resource ids are not valid Mermaid ids, so each
 * node gets a short one (`r0`, `r1`, ...) and shows the resource id.
 */
export function renderMermaid(view: GraphView): string {
  const idOf = nodeIds();
  const lines = ['flowchart TD', `  %% graph: ${view.graph.replace(/\n/g, ' ')}`];
  view.resources.forEach((resource, index) => {
    if (resource.group.length === 0) {
      lines.push(`  ${idOf(resource.id)}[${label(resource.id)}]`);
      return;
    }
    lines.push(`  subgraph g${index} [${label(`group of ${resource.id}`)}]`);
    lines.push(`    ${idOf(resource.id)}[${label(resource.id)}]`);
    for (const child of resource.group) lines.push(`    ${idOf(child)}[${label(child)}]`);
    lines.push('  end');
  });
  for (const edge of view.edges) lines.push(`  ${idOf(edge.from)} ${arrow(edge)} ${idOf(edge.to)}`);
  return `${lines.join('\n')}\n`;
}
