import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_META, type AnyResourceDefinition, type MetaParams } from '@converge/engine-api';
import { Engine, type EngineOptions } from '../../src/runtime/engine.js';
import type { ResolvedEdge, ResolvedGraph, ResolvedResource } from '../../src/graph/spec.js';
import { noopResource } from '../../src/builtin/noop.js';

export interface TestResource {
  kind: string;
  name: string;
  params?: Record<string, unknown>;
  meta?: Partial<MetaParams>;
}

/** Builds a ResolvedGraph directly, as the YAML frontend would. */
export function graphOf(
  definitions: readonly AnyResourceDefinition[],
  resources: readonly TestResource[],
  edges: ReadonlyArray<Partial<ResolvedEdge> & { from: string; to: string }> = [],
): ResolvedGraph {
  const kinds = new Map<string, AnyResourceDefinition>([[noopResource.kind, noopResource as unknown as AnyResourceDefinition]]);
  for (const definition of definitions) kinds.set(definition.kind, definition);
  const map = new Map<string, ResolvedResource>();
  for (const resource of resources) {
    const id = `${resource.kind}[${resource.name}]`;
    map.set(id, {
      id,
      kind: resource.kind,
      name: resource.name,
      params: resource.params ?? {},
      meta: { ...DEFAULT_META, ...resource.meta },
    });
  }
  return {
    name: 'test',
    file: '<test>',
    resources: map,
    edges: edges.map((edge) => ({ notify: false, origin: 'explicit' as const, ...edge })),
    kinds,
  };
}

const madeDirs: string[] = [];
// Each test file gets its own copy of this module, so each file cleans up after itself.
afterAll(() => Promise.all(madeDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 }))));

/** A fresh temporary directory, removed after the test file's last test. */
export async function tempDir(prefix = 'converge-engine-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

export function tempStateDir(): Promise<string> {
  return tempDir();
}

/** Starts an engine on `graph` with converger timeout 0 and waits for convergence. */
export async function runToConvergence(
  graph: ResolvedGraph,
  options: Partial<EngineOptions> = {},
  timeoutMs = 10_000,
): Promise<Engine> {
  const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0, ...options });
  // Watch before starting: a graph that converges and then moves on (polls)
  // may already be busy again by the time start() returns.
  const converged = engine.whenConverged(AbortSignal.timeout(timeoutMs));
  await engine.start(graph);
  await converged;
  return engine;
}

/**
 * Starts an engine on `graph` (in `stateDir`, else a fresh one) and waits
 * for convergence; `told` gets each reversal tried, as `outcome: id`, from
 * the start on (reversals left by an earlier run come first).
 */
export async function started(graph: ResolvedGraph, stateDir?: string, told?: string[]): Promise<Engine> {
  const engine = new Engine({ stateDir: stateDir ?? (await tempStateDir()), convergerTimeout: 0 });
  if (told) engine.onReversal(({ id, outcome }) => told.push(`${outcome}: ${id}`));
  const converged = engine.whenConverged(AbortSignal.timeout(10_000));
  await engine.start(graph);
  await converged;
  return engine;
}

/** Swaps `engine` to `graph` and waits for convergence. */
export async function swapTo(engine: Engine, graph: ResolvedGraph): Promise<void> {
  await engine.swap(graph);
  await engine.whenConverged(AbortSignal.timeout(10_000));
}
