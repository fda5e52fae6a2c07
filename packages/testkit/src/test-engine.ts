import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyResourceDefinition } from '@converge/engine-api';
import { builtinResources, Engine, parseGraphYaml, resolveGraph } from '@converge/engine';
import type { ResolvedGraph, ResourceStatus } from '@converge/engine';
import { memoryKindResolver } from './memory-kind-resolver.js';

export interface TestEngineOptions {
  /** The graph, in the YAML format of graph files. */
  readonly yaml: string;
  /**
   * Kinds the graph may use besides the built-in ones. Typed loosely, like
   * `definePlugin`'s list, because definitions are invariant in their params.
   */
  readonly resources?: readonly { readonly $$type: '@converge/resource'; readonly kind: string }[];
  /** Seconds of idleness before the graph counts as converged; default 0 (as soon as all are idle). */
  readonly convergerTimeout?: number;
  /** The engine's state dir; default a temp dir removed by `stop`. */
  readonly stateDir?: string;
  /** The file name errors point at; default `test.yaml`. */
  readonly file?: string;
}

/** A real engine running one graph in this process. */
export interface TestEngine {
  readonly engine: Engine;
  readonly graph: ResolvedGraph;
  readonly stateDir: string;
  /**
   * Resolves once the graph is converged and no resource is pending or
   * running; rejects after `timeoutMs` (default 10000) naming each resource's
   * state.
   */
  waitConverged(timeoutMs?: number): Promise<void>;
  /** The status of `kind[name]`, or undefined when the graph has no such resource. */
  status(id: string): ResourceStatus | undefined;
  /** Stops the engine (orderly) and removes the temp state dir it made. */
  stop(): Promise<void>;
}

const UNSETTLED_STATES: ReadonlySet<ResourceStatus['state']> = new Set(['pending', 'running']);

function describeStatuses(engine: Engine): string {
  const lines = engine.statuses().map((status) => {
    const error = status.lastError ? `: ${status.lastError.message}` : '';
    return `  ${status.id}: ${status.state} (${status.checks} checks, ${status.changes} changes)${error}`;
  });
  return lines.length > 0 ? lines.join('\n') : '  (no resources)';
}

function isSettled(engine: Engine): boolean {
  return engine.converged.get() && engine.statuses().every((status) => !UNSETTLED_STATES.has(status.state));
}

async function waitSettled(engine: Engine, timeoutMs: number): Promise<void> {
  // A timer of our own, not AbortSignal.timeout: that one does not keep
  // Node alive, and a script awaiting a graph that never converges would
  // exit silently (code 13) instead of getting the rejection.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  const converged = engine.converged.watch();
  const changes = engine.changes.watch();
  try {
    while (!isSettled(engine)) {
      // Wake on whichever moves first; the loser is aborted with its round.
      const round = new AbortController();
      const signal = AbortSignal.any([timeout.signal, round.signal]);
      const next = [converged.next(signal), changes.next(signal)];
      try {
        await Promise.race(next);
      } catch {
        if (timeout.signal.aborted) {
          throw new Error(`test engine: not converged within ${timeoutMs} ms:\n${describeStatuses(engine)}`);
        }
        throw new Error(`test engine: stopped before it converged:\n${describeStatuses(engine)}`);
      } finally {
        round.abort();
        await Promise.allSettled(next);
      }
    }
  } finally {
    clearTimeout(timer);
    converged.close();
    changes.close();
  }
}

/**
 * Parses `yaml` with the engine's YAML frontend, resolves its kinds from
 * `resources` and the built-in kinds (no plugin packages are loaded), and
 * starts a real engine on it. Throws the engine's GraphLoadError for a bad
 * graph. Always `stop()` it, e.g. in `afterEach`.
 */
export async function startTestEngine(options: TestEngineOptions): Promise<TestEngine> {
  // Definitions are invariant in their params; the engine handles them through their schemas only.
  const kinds = [...builtinResources, ...(options.resources ?? [])] as unknown as readonly AnyResourceDefinition[];
  const resolver = memoryKindResolver(kinds);
  const spec = parseGraphYaml(options.yaml, options.file ?? 'test.yaml');
  const graph = await resolveGraph(spec, resolver);
  const ownStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'converge-test-engine-')));
  const engine = new Engine({ stateDir, convergerTimeout: options.convergerTimeout ?? 0 });
  const stop = async (): Promise<void> => {
    await engine.stop();
    if (ownStateDir) await rm(stateDir, { recursive: true, force: true });
  };
  try {
    await engine.start(graph);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    engine,
    graph,
    stateDir,
    waitConverged: (timeoutMs = 10_000) => waitSettled(engine, timeoutMs),
    status: (id) => engine.statuses().find((status) => status.id === id),
    stop,
  };
}
