import { builtinResources, createKindResolver, type EngineOptions } from '@converge/engine';
import type { World } from '@converge/engine-api';
import type { Logger } from 'pino';
import type { RunFlags } from './commands/run.js';

/** The engine settings `converge run` takes from its flags, on one host or in a cluster. */
export function engineOptionsFrom(
  flags: RunFlags,
  where: { stateDir: string; hostname: string; logger: Logger; world?: World; graphDir?: string },
): EngineOptions {
  return {
    // Kinds a stored reversal needs when the running graph does not use them: found as a graph's kinds are.
    kinds: createKindResolver({
      searchFrom: [process.cwd(), ...(where.graphDir ? [where.graphDir] : [])],
      plugins: flags.plugin,
      builtins: builtinResources,
    }),
    stateDir: where.stateDir,
    hostname: where.hostname,
    logger: where.logger,
    noop: flags.noop === true,
    sema: flags.sema,
    convergerTimeout: flags.convergerTimeout,
    // A watch restarted for ever that keeps failing would hold a --converged-exit run open for ever (QA).
    untilConverged: flags.convergedExit === true,
    // Exiting at the first convergence is a one-shot apply: watching
    // (inotify watches, poll timers, watch commands) would only be torn down
    // again. A cluster agent keeps its watches: its graph can change under it.
    ...(where.world ? { world: where.world } : isOneShot(flags) ? { watch: false } : {}),
  };
}

/** `--converged-exit --converger-timeout 0`: apply once and exit. */
function isOneShot(flags: Pick<RunFlags, 'convergedExit' | 'convergerTimeout'>): boolean {
  return flags.convergedExit === true && flags.convergerTimeout === 0;
}
