import { hostname as systemHostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isPathReference, parseGraphYaml, readGraphFile, storeDeploy } from '@converge/engine';
import { connectEtcdWorld } from '../cluster/connect-world.js';
import { etcdAnswer } from '../cluster/cluster-call.js';
import { pino } from 'pino';
import { ExitCode } from '../exit-codes.js';
import { worldLogger } from '../cluster/world-logger.js';
import { commandLineReporter } from '../command-line-reporter.js';
import type { Reporter } from '../reporter.js';
import { loadGraphOrReport } from './load-graph.js';

export interface DeployFlags {
  readonly seeds: readonly string[];
  readonly plugin: readonly string[];
  readonly logJson?: boolean;
}

/**
 * `converge deploy GRAPH --seeds=...`: checks the graph here, then stores its
 * text in etcd as the next deploy, with the graph's absolute path (a
 * `plugins:` folder written relative to the graph is found from there); every
 * agent run without a graph swaps to it. Only the text goes: plugins named by
 * a folder or with --plugin are said to be needed on every agent.
 */
export async function deployCommand(graphFile: string, flags: DeployFlags): Promise<ExitCode> {
  const reporter = commandLineReporter(flags.logJson === true);
  const graph = await loadGraphOrReport(graphFile, flags.plugin, reporter);
  if (!graph) return ExitCode.badInput;
  const text = await readGraphFile(graphFile);
  // Agents resolve the graph's relative plugin folders from its folder, not from where each agent runs (QA).
  const stored = graphFile === '-' ? graphFile : resolve(graphFile);
  warnOfLocalPlugins(text, graphFile, stored, flags.plugin, reporter);
  const world = await connectEtcdWorld({ hostname: systemHostname(), seeds: flags.seeds, log: worldLogger(pino({ level: 'silent' })) });
  try {
    const deploy = await etcdAnswer(world, () => storeDeploy(world, text, stored), flags.seeds, (message) => reporter.say(message));
    process.stdout.write(`deployed ${graphFile} as deploy ${deploy.id}\n`);
    return ExitCode.ok;
  } catch (error) {
    reporter.failure({ code: 'ERR_CLUSTER', message: `cannot deploy: ${error instanceof Error ? error.message : String(error)}` });
    return ExitCode.resourceFailed;
  } finally {
    await world.close();
  }
}

/**
 * mgmt's deploys carry their files; converge's carry the graph's text only
 * (QA: a deploy checked with --plugin here was accepted, and no agent could
 * load it). What the agents must have in place of what this machine has is
 * said, without refusing: they may well have it.
 */
function warnOfLocalPlugins(text: string, graphFile: string, stored: string, plugins: readonly string[], reporter: Reporter): void {
  const notCarried = "a deploy stores the graph's text, not its plugins or files (mgmt's deploys carry their files; converge's do not)";
  const parsed = parseGraphYaml(text, graphFile);
  const spec = parsed.precise?.() ?? parsed;
  spec.plugins.forEach((plugin, index) => {
    if (!isPathReference(plugin)) return;
    const at =
      plugin.startsWith('./') || plugin.startsWith('../') ? resolve(dirname(stored), plugin) : isAbsolute(plugin) ? plugin : `${plugin}, from the folder each agent runs in`;
    reporter.warning({
      location: spec.pluginLocations?.[index] ?? { file: graphFile, line: 1, column: 1 },
      resource: 'plugins',
      message: `'${plugin}' is a folder on this machine: each agent loads it from ${at}`,
      hint: `${notCarried}: put the plugin there on every agent (a shared folder), or install it on each and name its package instead`,
    });
  });
  for (const plugin of plugins) {
    reporter.say(
      `warning: --plugin ${plugin} only helped check the graph here; the agents do not get it: ${notCarried}. Each agent needs the plugin installed, or given to its own \`converge run --plugin\``,
    );
  }
}
