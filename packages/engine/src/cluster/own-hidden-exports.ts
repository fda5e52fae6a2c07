import { loadGraphSpec, type LoadGraphOptions } from '../graph/load-graph.js';
import type { GraphWarning, ResolvedGraph } from '../graph/spec.js';
import { parseGraphYaml } from '../yaml/parse.js';
import { readGraphFile } from '../yaml/read.js';
import { composeGraph } from './compose-graph.js';
import { collectFor, exportsOf, exportToSpec } from './exported-resources.js';

/**
 * A graph run on one host, without a cluster: its hidden exports that its
 * own `collect:` takes are collected back, as mgmt does through its
 * embedded etcd (a hidden file exported and collected into a folder is
 * written there). The graph as it is when it has none.
 */
export async function withOwnHiddenExportsCollected(graph: ResolvedGraph, hostname: string, options: LoadGraphOptions = {}): Promise<ResolvedGraph> {
  if (!graph.collect?.length) return graph;
  const hidden = exportsOf(graph, hostname).filter((exported) => exported.meta['hidden'] === true);
  const collected = collectFor(hostname, graph.collect, hidden);
  if (collected.length === 0) return graph;
  // The graph as written (collect works on specs), read again: rare, and only for such graphs.
  const spec = parseGraphYaml(await readGraphFile(graph.file), graph.file);
  const composed = await loadGraphSpec(composeGraph(spec, collected.map(exportToSpec)), options);
  // The warnings of what the collected resources replaced (an '@@' name read as hidden) are still the graph's.
  const seen = new Set((composed.warnings ?? []).map(warningKey));
  const warnings = [...(graph.warnings ?? []).filter((warning) => !seen.has(warningKey(warning))), ...(composed.warnings ?? [])];
  return warnings.length > 0 ? { ...composed, warnings } : composed;
}

function warningKey(warning: GraphWarning): string {
  return `${warning.location.file}:${warning.location.line}:${warning.location.column}:${warning.message}`;
}
