import { planGraph } from '@converge/engine';
import { isEngineError } from '@converge/engine-api';
import { ExitCode } from '../exit-codes.js';
import { RENDERERS, type GraphFormat } from '../render/formats.js';
import { graphView } from '../render/graph-view.js';
import { textReporter } from '../reporter.js';
import { earlySignals, type EarlySignals } from '../early-signals.js';
import { loadGraphUnlessInterrupted } from './load-graph.js';

export interface GraphFlags {
  readonly plugin: readonly string[];
  readonly format: GraphFormat;
}

/**
 * `converge graph GRAPH`: prints the graph as it would run (after autoedges
 * and autogroup) as DOT, Mermaid, SVG or JSON. Shows ids only, never param
 * values. Runs nothing.
 */
export async function graphCommand(graphFile: string, flags: GraphFlags, early: EarlySignals = earlySignals()): Promise<ExitCode> {
  const reporter = textReporter({ write: (text) => process.stderr.write(text) });
  const loaded = await loadGraphUnlessInterrupted(graphFile, flags.plugin, reporter, early);
  if ('exit' in loaded) return loaded.exit;
  const { graph } = loaded;
  let plan: ReturnType<typeof planGraph>;
  try {
    plan = planGraph(graph);
  } catch (error) {
    // Autoedges can close a cycle the written edges did not have.
    if (!isEngineError(error) || !error.isInputError) throw error;
    reporter.problem(error);
    reporter.say(`1 problem in ${graphFile}`);
    return ExitCode.badInput;
  }
  process.stdout.write(RENDERERS[flags.format](graphView(graph, plan)));
  return ExitCode.ok;
}
