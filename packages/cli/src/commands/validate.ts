import { ExitCode } from '../exit-codes.js';
import { textReporter } from '../reporter.js';
import { loadGraphOrReport } from './load-graph.js';
import { counted } from '../counted.js';

export interface ValidateFlags {
  readonly plugin: readonly string[];
}

/** `converge validate GRAPH`: load and check only; runs nothing. */
export async function validateCommand(graphFile: string, flags: ValidateFlags): Promise<ExitCode> {
  const reporter = textReporter({ write: (text) => process.stderr.write(text) });
  const graph = await loadGraphOrReport(graphFile, flags.plugin, reporter);
  if (!graph) return ExitCode.badInput;
  const resources = graph.resources.size;
  const edges = graph.edges.length;
  process.stdout.write(`ok: ${counted(resources, 'resource')}, ${counted(edges, 'edge')}\n`);
  return ExitCode.ok;
}
