import { renderDot } from './dot.js';
import type { GraphView } from './graph-view.js';
import { renderJson } from './json.js';
import { renderMermaid } from './mermaid.js';
import { renderSvg } from './svg.js';

export const GRAPH_FORMATS = ['dot', 'mermaid', 'svg', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export const RENDERERS: Readonly<Record<GraphFormat, (view: GraphView) => string>> = {
  dot: renderDot,
  mermaid: renderMermaid,
  svg: renderSvg,
  json: renderJson,
};
