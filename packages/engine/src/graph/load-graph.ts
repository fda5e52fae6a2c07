import { dirname, resolve } from 'node:path';
import { isEngineError } from '@converge/engine-api';
import { builtinResources } from '../builtin/noop.js';
import type { KindResolver } from '../loader/kind-resolver.js';
import { createKindResolver } from '../loader/plugin-registry.js';
import { parseGraphYaml } from '../yaml/parse.js';
import { readGraphFile } from '../yaml/read.js';
import { GraphLoadError, inFileOrder } from './load-error.js';
import { resolveGraph } from './resolve.js';
import type { GraphSpec, ResolvedGraph } from './spec.js';

export interface LoadGraphOptions {
  /** Extra plugin packages (names or folders), as given with --plugin. */
  readonly plugins?: readonly string[];
  /** Where to look for plugin packages; the graph file's folder is added. */
  readonly searchFrom?: readonly string[];
  /** Use this resolver instead of loading installed packages (tests, embedders). */
  readonly resolver?: KindResolver;
}

/**
 * Reads, parses and checks a graph file, loading the plugins its kinds need.
 * Every problem (unreadable file, YAML, kinds, params, edges) comes as one
 * GraphLoadError; nothing has run when it throws.
 */
export async function loadGraphFile(path: string, options: LoadGraphOptions = {}): Promise<ResolvedGraph> {
  let text: string;
  try {
    text = await readGraphFile(path);
  } catch (error) {
    if (isEngineError(error)) throw new GraphLoadError([error]);
    throw error;
  }
  let spec: GraphSpec;
  try {
    spec = parseGraphYaml(text, path);
  } catch (error) {
    if (error instanceof GraphLoadError && error.partial) throw await withFurtherProblems(error, error.partial, error.partialLacksResources, options);
    throw error;
  }
  return loadGraphSpec(spec, options);
}

/**
 * The shape problems of a graph, and what checking the rest of it finds
 * (unknown params, kinds, cycles, edges to resources not in the file), so
 * that one run tells everything. When some resource could not be read, edges
 * to missing resources are left out: they may be edges to it, which follow
 * from a problem already told.
 */
async function withFurtherProblems(shape: GraphLoadError, partial: GraphSpec, lacksResources: boolean, options: LoadGraphOptions): Promise<GraphLoadError> {
  try {
    await loadGraphSpec(partial, options);
  } catch (error) {
    if (!(error instanceof GraphLoadError)) return shape;
    const told = new Set(shape.problems.map((problem) => problem.describe()));
    const further = error.problems.filter((problem) => !(lacksResources && problem.code === 'ERR_UNKNOWN_RESOURCE') && !told.has(problem.describe()));
    return new GraphLoadError(inFileOrder([...shape.problems, ...further]));
  }
  return shape;
}

/** Checks a parsed graph, loading the plugins its kinds need. */
export async function loadGraphSpec(spec: GraphSpec, options: LoadGraphOptions = {}): Promise<ResolvedGraph> {
  const graphDir = dirname(resolve(spec.file));
  // A folder named in the graph's `plugins:` is relative to the graph file.
  const graphPlugins = spec.plugins.map((plugin) =>
    plugin.startsWith('./') || plugin.startsWith('../') ? resolve(graphDir, plugin) : plugin,
  );
  const resolver =
    options.resolver ??
    createKindResolver({
      searchFrom: [...(options.searchFrom ?? [process.cwd()]), graphDir],
      // The graph's own first: resolve.ts finds where an unreadable one was written by its place in this list.
      plugins: [...graphPlugins, ...(options.plugins ?? [])],
      builtins: builtinResources,
    });
  // Read as mgmt reads its YAML graphs: `env: {PORT: 8080}` is the text "8080".
  return resolveGraph(spec, resolver, { scalarsAsText: true });
}
