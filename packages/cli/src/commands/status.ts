import { hostname as systemHostname } from 'node:os';
import { clusterConverged, clusterWaitingFor, readHostStatuses, type HostStatus } from '@converge/engine';
import { connectEtcdWorld } from '../cluster/connect-world.js';
import { etcdAnswer } from '../cluster/cluster-call.js';
import { pino } from 'pino';
import { counted } from '../counted.js';
import { ExitCode } from '../exit-codes.js';
import { worldLogger } from '../cluster/world-logger.js';
import { commandLineReporter } from '../command-line-reporter.js';
import { oneLine } from '../terminal-text.js';

export interface StatusFlags {
  readonly seeds: readonly string[];
  /** The statuses as one JSON object on stdout (data; --log-json is for what stderr says). */
  readonly json?: boolean;
  readonly logJson?: boolean;
}

/** `converge status --seeds=...`: every live host's status, one line each. */
export async function statusCommand(flags: StatusFlags): Promise<ExitCode> {
  const reporter = commandLineReporter(flags.logJson === true);
  const world = await connectEtcdWorld({ hostname: systemHostname(), seeds: flags.seeds, log: worldLogger(pino({ level: 'silent' })) });
  try {
    const statuses = await etcdAnswer(world, () => readHostStatuses(world), flags.seeds, (message) => reporter.say(message));
    if (flags.json) process.stdout.write(`${JSON.stringify({ converged: clusterConverged(statuses), hosts: statuses })}\n`);
    else process.stdout.write(formatStatuses(statuses));
    return ExitCode.ok;
  } catch (error) {
    reporter.failure({ code: 'ERR_CLUSTER', message: `cannot read the cluster's status: ${error instanceof Error ? error.message : String(error)}` });
    return ExitCode.resourceFailed;
  } finally {
    await world.close();
  }
}

/**
 * Text another host wrote to etcd (its name, its graph's path, why it
 * refused a deploy), as one column of one line: its control characters
 * escaped, so what any host publishes cannot drive the reader's terminal
 * nor split or shift the tab-separated columns a script reads.
 */
function column(text: string): string {
  return oneLine(text).replaceAll('\t', '\\t');
}

/** The lines `converge status` prints, one per host and the cluster's. */
export function formatStatuses(statuses: readonly HostStatus[]): string {
  if (statuses.length === 0) return 'no hosts\n';
  const lines = statuses.map((status) => {
    const state = status.failed > 0 ? `${status.failed} failed` : status.converged ? 'converged' : status.refused && status.graph === undefined ? 'no graph' : 'converging';
    const graph = column(status.graph ?? '-');
    const running = status.deploy === undefined ? graph : `deploy ${status.deploy} (${graph})`;
    // A deploy it could not load, and why, after what it runs instead (QA: such a host read as converged on it).
    const refused = status.refused ? `\trefused deploy ${status.refused.deploy}: ${column(status.refused.reason)}` : '';
    return `${column(status.host)}\t${state}\t${running}\t${counted(status.resources, 'resource')}${refused}`;
  });
  const waiting = clusterWaitingFor(statuses);
  const cluster = clusterConverged(statuses) ? 'cluster: converged' : `cluster: not converged${waiting ? ` (${column(waiting)})` : ' (a host has failed resources)'}`;
  return `${lines.join('\n')}\n${cluster}\n`;
}
