import { ExitCode } from '../exit-codes.js';
import { textReporter } from '../reporter.js';
import { earlySignals, type EarlySignals } from '../early-signals.js';
import { loadGraphUnlessInterrupted } from './load-graph.js';
import { counted } from '../counted.js';

export interface ValidateFlags {
  readonly plugin: readonly string[];
}

/** `converge validate GRAPH`: load and check only; runs nothing. */
export async function validateCommand(graphFile: string, flags: ValidateFlags, early: EarlySignals = earlySignals()): Promise<ExitCode> {
  const reporter = textReporter({ write: (text) => process.stderr.write(text) });
  const loaded = await loadGraphUnlessInterrupted(graphFile, flags.plugin, reporter, early);
  if ('exit' in loaded) return loaded.exit;
  const { graph } = loaded;
  const resources = graph.resources.size;
  const edges = graph.edges.length;
  process.stdout.write(`ok: ${counted(resources, 'resource')}, ${counted(edges, 'edge')}\n`);
  return ExitCode.ok;
}
