import type { ResolvedGraph } from '../graph/spec.js';
import type { Engine } from '../runtime/engine.js';

/**
 * A source of graphs: emits a first graph, then a new one whenever its
 * inputs change, until `signal` aborts. Graphs are pulled one at a time, so
 * a frontend that is faster than the engine should emit only its newest.
 */
export interface GraphFrontend {
  graphs(signal: AbortSignal): AsyncIterable<ResolvedGraph>;
}

export interface RunFrontendOptions {
  /**
   * Told about a graph the engine refused (e.g. autoedges closed a cycle);
   * the running graph stays. Without it, runFrontend rejects with the error.
   */
  readonly onError?: (error: unknown, graph: ResolvedGraph) => void;
  /** Told after each graph was started or swapped in. */
  readonly onSwap?: (graph: ResolvedGraph) => void;
}

/**
 * Starts `engine` with the frontend's first graph and swaps in each next one.
 * Resolves when the frontend ends or `signal` aborts (the engine keeps
 * running: stopping it is the caller's choice).
 */
export async function runFrontend(engine: Engine, frontend: GraphFrontend, signal: AbortSignal, options: RunFrontendOptions = {}): Promise<void> {
  if (signal.aborted) return;
  const iterator = frontend.graphs(signal)[Symbol.asyncIterator]();
  let onAbort = (): void => undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    for (;;) {
      // Raced so that a frontend slow to honour the signal cannot hold us.
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === 'aborted' || next.done) return;
      try {
        await engine.swap(next.value);
        options.onSwap?.(next.value);
      } catch (error) {
        if (!options.onError) throw error;
        options.onError(error, next.value);
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Lets the frontend release what it holds (watchers, timers); not awaited
    // past the abort for the same reason as above.
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}
