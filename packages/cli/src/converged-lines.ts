import type { Engine } from '@converge/engine';

/**
 * Tells each time the graph becomes converged (the converger's quiet time
 * passed with every resource as the graph says), for a run that goes on
 * afterwards: without it only the metrics endpoint showed it. Once per
 * convergence; ends when `signal` aborts.
 */
export async function tellConvergence(engine: Engine, signal: AbortSignal, say: (message: string) => void): Promise<void> {
  const watcher = engine.converged.watch();
  let told = false;
  if (engine.converged.get()) {
    say('converged: every resource is as the graph says');
    told = true;
  }
  try {
    for (;;) {
      const converged = await watcher.next(signal);
      if (converged && !told) say('converged: every resource is as the graph says');
      told = converged;
    }
  } catch {
    // Stopped (the signal aborted).
  } finally {
    watcher.close();
  }
}
