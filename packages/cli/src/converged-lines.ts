import type { Engine } from '@converge/engine';
import { counted } from './counted.js';
import { statusesWithReversalFailures } from './reversal-failures.js';

/**
 * What the graph has converged to: every resource as it says, or what is
 * not; undefined while a resource is being checked again (a failed one
 * looked at after an event), whose outcome is not known yet: counted as
 * fine, it made a false all-clear for as long as its check ran (QA).
 */
function convergedLine(engine: Engine): string | undefined {
  let failed = 0;
  let blocked = 0;
  let wouldChange = 0;
  for (const status of statusesWithReversalFailures(engine)) {
    if (status.state === 'running') return undefined;
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

/** How long after a status change the converged line is looked at again (one look for a burst of changes). */
const RECHECK_MS = 100;

/**
 * Tells each time the graph becomes converged (the converger's quiet time
 * passed: nothing runs or changes), and whether every resource is as the
 * graph says or which are not (failed, blocked, in a dry run would change), for a run that goes on
 * afterwards: without it only the metrics endpoint showed it. Once per
 * convergence, and again while it stays converged when what the line says
 * changes (a failed resource repaired by hand: a check that finds nothing
 * to do does not end a convergence, as in mgmt); ends when `signal` aborts.
 */
export async function tellConvergence(engine: Engine, signal: AbortSignal, say: (message: string) => void): Promise<void> {
  const watcher = engine.converged.watch();
  /** The line told for this convergence: '' when it began while a check was under way (told once that check ends). */
  let told: string | undefined;
  const tell = (): void => {
    told = convergedLine(engine) ?? '';
    if (told !== '') say(told);
  };
  let recheck: NodeJS.Timeout | undefined;
  const lookAgain = (): void => {
    if (told === undefined || recheck !== undefined) return;
    recheck = setTimeout(() => {
      recheck = undefined;
      if (told === undefined || !engine.converged.get()) return;
      const line = convergedLine(engine);
      // A check under way: its end is a status change, which looks again.
      if (line !== undefined && line !== told) tell();
    }, RECHECK_MS);
  };
  const unsubscribe = [engine.onStatus(lookAgain), engine.onReversal(lookAgain)];
  if (engine.converged.get()) tell();
  try {
    for (;;) {
      const converged = await watcher.next(signal);
      if (converged && told === undefined) tell();
      if (!converged) told = undefined;
    }
  } catch {
    // Stopped (the signal aborted).
  } finally {
    clearTimeout(recheck);
    for (const stop of unsubscribe) stop();
    watcher.close();
  }
}
