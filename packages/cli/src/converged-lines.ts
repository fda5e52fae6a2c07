import type { Engine } from '@converge/engine';
import { counted } from './counted.js';
import { statusesWithReversalFailures } from './reversal-failures.js';

/** What the graph has converged to: every resource as it says, or what is not. */
function convergedLine(engine: Engine): string {
  let failed = 0;
  let blocked = 0;
  let wouldChange = 0;
  for (const status of statusesWithReversalFailures(engine)) {
    if (status.state === 'failed') failed++;
    else if (status.state === 'blocked') blocked++;
    else if (status.wouldChange === true) wouldChange++;
  }
  if (failed + blocked + wouldChange === 0) return 'converged: every resource is as the graph says';
  const problems = [failed > 0 ? `${failed} failed` : '', blocked > 0 ? `${blocked} blocked` : '', wouldChange > 0 ? `${counted(wouldChange, 'resource')} would change (dry run)` : '']
    .filter((part) => part !== '')
    .join(', ');
  return `converged, but not as the graph says: ${problems}; nothing more runs until something changes`;
}

/**
 * Tells each time the graph becomes converged (the converger's quiet time
 * passed: nothing runs or changes), and whether every resource is as the
 * graph says or which are not (failed, blocked, in a dry run would change), for a run that goes on
 * afterwards: without it only the metrics endpoint showed it. Once per
 * convergence; ends when `signal` aborts.
 */
export async function tellConvergence(engine: Engine, signal: AbortSignal, say: (message: string) => void): Promise<void> {
  const watcher = engine.converged.watch();
  let told = false;
  if (engine.converged.get()) {
    say(convergedLine(engine));
    told = true;
  }
  try {
    for (;;) {
      const converged = await watcher.next(signal);
      if (converged && !told) say(convergedLine(engine));
      told = converged;
    }
  } catch {
    // Stopped (the signal aborted).
  } finally {
    watcher.close();
  }
}
