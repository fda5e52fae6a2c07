import { distinctLine } from '../terminal-text.js';
import { edgeLabel, type GraphView, type ViewEdge, type ViewResource } from './graph-view.js';
import { longestPathLayers } from './layers.js';

const CHAR_WIDTH = 7.2; // 12px monospace
const LINE_HEIGHT = 18;
const PADDING = 10;
const H_GAP = 40;
const V_GAP = 70;
const MARGIN = 20;

/** Text for XML content and attribute values (a tab as a reference: an attribute would read a raw one as a space). */
function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;');
}

/**
 * An id (or a label) as the picture writes it, in its text and its
 * `data-id`: control characters as escapes (XML cannot hold most of them
 * at all, and a newline or a zero-width space would pass unseen), told
 * apart from what was typed.
 */
function shownText(text: string): string {
  return escapeXml(distinctLine(text));
}

/** Dashes for an edge that is not explicit: an autoedge's, or the dots of an order through hidden resources. */
const DASHES: Readonly<Record<ViewEdge['origin'], string>> = { explicit: '', auto: ' stroke-dasharray="6 4"', 'through-hidden': ' stroke-dasharray="2 3"' };

interface Box {
  readonly resource: ViewResource;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A resource's box: its id, and below a rule the ids grouped into it. */
function boxSize(resource: ViewResource): { width: number; height: number } {
  const longest = Math.max(...[resource.id, ...resource.group].map((text) => distinctLine(text).length));
  const lines = 1 + resource.group.length;
  return { width: Math.ceil(longest * CHAR_WIDTH) + 2 * PADDING, height: lines * LINE_HEIGHT + 2 * PADDING };
}

function layout(view: GraphView): { boxes: Map<string, Box>; width: number; height: number } {
  const layerOf = longestPathLayers(
    view.resources.map((resource) => resource.id),
    view.edges,
  );
  const rows: ViewResource[][] = [];
  for (const resource of view.resources) {
    const layer = layerOf.get(resource.id) ?? 0;
    (rows[layer] ??= []).push(resource);
  }
  const sized = rows.map((row) => row.map((resource) => ({ resource, ...boxSize(resource) })));
  const rowWidth = (row: { width: number }[]): number => row.reduce((sum, box) => sum + box.width, 0) + H_GAP * Math.max(0, row.length - 1);
  const width = Math.max(200, ...sized.map(rowWidth)) + 2 * MARGIN;
  const boxes = new Map<string, Box>();
  let y = MARGIN;
  for (const row of sized) {
    // Each row is centred; its height is its tallest box.
    let x = (width - rowWidth(row)) / 2;
    for (const box of row) {
      boxes.set(box.resource.id, { ...box, x, y });
      x += box.width + H_GAP;
    }
    y += Math.max(...row.map((box) => box.height)) + V_GAP;
  }
  return { boxes, width, height: Math.max(y - V_GAP + MARGIN, 2 * MARGIN) };
}

function drawBox(box: Box): string[] {
  const { resource, x, y, width, height } = box;
  const text = (id: string, index: number, bold: boolean): string =>
    `<text x="${x + PADDING}" y="${y + PADDING + (index + 1) * LINE_HEIGHT - 5}"${bold ? ' font-weight="bold"' : ''}>${shownText(id)}</text>`;
  const parts = [
    `<g class="resource" data-id="${shownText(resource.id)}">`,
    // A group is drawn as a dashed cluster around the parent and its children.
    `<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="4" fill="#ffffff" stroke="#333333"${resource.group.length > 0 ? ' stroke-dasharray="6 3"' : ''}/>`,
    text(resource.id, 0, resource.group.length > 0),
  ];
  if (resource.group.length > 0) {
    const ruleY = y + PADDING + LINE_HEIGHT;
    parts.push(`<line x1="${x}" y1="${ruleY}" x2="${x + width}" y2="${ruleY}" stroke="#999999"/>`);
    resource.group.forEach((child, index) => parts.push(text(child, index + 1, false)));
  }
  parts.push('</g>');
  return parts;
}

/**
 * A self-contained SVG picture with a layered layout (layer = longest path
 * from a root): boxes for resources, arrows for edges; autoedges dashed,
 * the order through hidden resources dotted, notify edges thick, labels
 * for notify, send→recv and through hidden; groups as dashed boxes listing
 * their members. Ids as `distinctLine` writes them, in the text and in
 * `data-id`, `data-from` and `data-to`. Needs no Graphviz.
 */
export function renderSvg(view: GraphView): string {
  const { boxes, width, height } = layout(view);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="monospace" font-size="12">`,
    `<title>${shownText(view.graph)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333333"/></marker></defs>',
  ];
  for (const edge of view.edges) {
    const from = boxes.get(edge.from);
    const to = boxes.get(edge.to);
    if (!from || !to) continue;
    const x1 = from.x + from.width / 2;
    const y1 = from.y + from.height;
    const x2 = to.x + to.width / 2;
    const y2 = to.y;
    const strokeWidth = edge.notify ? 3 : 1.5;
    out.push(
      `<g class="edge ${edge.origin}${edge.notify ? ' notify' : ''}" data-from="${shownText(edge.from)}" data-to="${shownText(edge.to)}">`,
      `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#333333" stroke-width="${strokeWidth}"${DASHES[edge.origin]} marker-end="url(#arrow)"/>`,
    );
    const label = edgeLabel(edge);
    if (label) out.push(`<text x="${(x1 + x2) / 2 + 4}" y="${(y1 + y2) / 2}" fill="#1a5fb4">${shownText(label)}</text>`);
    out.push('</g>');
  }
  for (const box of boxes.values()) out.push(...drawBox(box));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
