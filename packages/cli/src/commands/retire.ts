import { hostname as systemHostname } from 'node:os';
import { clusterKeys } from '@converge/engine';
import { pino } from 'pino';
import { connectEtcdWorld } from '../cluster/connect-world.js';
import { etcdAnswer } from '../cluster/cluster-call.js';
import { worldLogger } from '../cluster/world-logger.js';
import { counted } from '../counted.js';
import { ExitCode } from '../exit-codes.js';
import { commandLineReporter } from '../command-line-reporter.js';

export interface RetireFlags {
  readonly seeds: readonly string[];
  readonly logJson?: boolean;
}

/**
 * `converge retire HOST --seeds=...`: removes what a host that is gone for
 * good left in the world, its exports (which outlive their run on purpose,
 * so that a reboot does not make the others drop them). A host still
 * running would publish them again: it is refused.
 */
export async function retireCommand(host: string, flags: RetireFlags): Promise<ExitCode> {
  const reporter = commandLineReporter(flags.logJson === true);
  const world = await connectEtcdWorld({ hostname: systemHostname(), seeds: flags.seeds, log: worldLogger(pino({ level: 'silent' })) });
  try {
    const removed = await etcdAnswer(
      world,
      async () => {
        if ((await world.get(clusterKeys.status(host))) !== undefined) return undefined;
        const exports = [...(await world.list(clusterKeys.exportsOf(host))).keys()];
        for (const key of exports) await world.delete(key);
        return exports.length;
      },
      flags.seeds,
      (message) => reporter.say(message),
    );
    if (removed === undefined) {
      reporter.failure({
        code: 'ERR_HOST_RUNNING',
        message: `${host} is running (its status is live in the cluster; one that just died keeps it about 5 s more): stop it first, then retire it`,
      });
      return ExitCode.badInput;
    }
    process.stdout.write(`${host}: ${removed === 0 ? 'nothing to remove' : `${counted(removed, 'export')} removed`}\n`);
    return ExitCode.ok;
  } catch (error) {
    reporter.failure({ code: 'ERR_CLUSTER', message: `cannot retire ${host}: ${error instanceof Error ? error.message : String(error)}` });
    return ExitCode.resourceFailed;
  } finally {
    await world.close();
  }
}
