import { hostname as systemHostname } from 'node:os';
import { readGraphFile, storeDeploy } from '@converge/engine';
import { connectEtcdWorld } from '../cluster/connect-world.js';
import { pino } from 'pino';
import { ExitCode } from '../exit-codes.js';
import { worldLogger } from '../cluster/world-logger.js';
import { textReporter } from '../reporter.js';
import { Terminal } from '../terminal.js';
import { loadGraphOrReport } from './load-graph.js';

export interface DeployFlags {
  readonly seeds: readonly string[];
  readonly plugin: readonly string[];
}

/**
 * `converge deploy GRAPH --seeds=...`: checks the graph here, then stores its
 * text in etcd as the next deploy; every agent run without a graph swaps to it.
 */
export async function deployCommand(graphFile: string, flags: DeployFlags): Promise<ExitCode> {
  const reporter = textReporter(new Terminal(process.stderr));
  const graph = await loadGraphOrReport(graphFile, flags.plugin, reporter);
  if (!graph) return ExitCode.badInput;
  const text = await readGraphFile(graphFile);
  const world = await connectEtcdWorld({ hostname: systemHostname(), seeds: flags.seeds, log: worldLogger(pino({ level: 'silent' })) });
  try {
    const deploy = await storeDeploy(world, text, graphFile);
    process.stdout.write(`deployed ${graphFile} as deploy ${deploy.id}\n`);
    return ExitCode.ok;
  } catch (error) {
    reporter.say(`cannot deploy: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.resourceFailed;
  } finally {
    await world.close();
  }
}
