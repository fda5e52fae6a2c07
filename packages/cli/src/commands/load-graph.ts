import { hostname as systemHostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { GraphLoadError, loadGraphFile, withOwnHiddenExportsCollected, type ResolvedGraph } from '@converge/engine';
import { isEngineError, type EngineError } from '@converge/engine-api';
import type { EarlySignals } from '../early-signals.js';
import { ExitCode } from '../exit-codes.js';
import type { Reporter } from '../reporter.js';
import { digestWarnings } from '../warning-digest.js';
import { counted } from '../counted.js';

/**
 * Loads a graph file with its plugins and checks it, reporting its
 * warnings; a hidden export that the graph's own `collect:` takes is
 * collected back, as on one mgmt host (see withOwnHiddenExportsCollected).
 * When it cannot be loaded, reports every problem and returns undefined:
 * the caller exits with 2, having applied nothing (or, `reloading`, keeps
 * the graph it runs, and says so itself).
 */
export async function loadGraphOrReport(
  graphFile: string,
  plugins: readonly string[],
  reporter: Reporter,
  hostname: string = systemHostname(),
  { reloading = false }: { readonly reloading?: boolean } = {},
): Promise<ResolvedGraph | undefined> {
  try {
    const options = graphLoadOptions(graphFile, plugins);
    const graph = await withOwnHiddenExportsCollected(await loadGraphFile(graphFile, options), hostname, options);
    const { told, more } = digestWarnings(graph.warnings ?? []);
    for (const warning of told) reporter.warning(warning);
    for (const { message, file, lines } of reporter.showsWarnings ? more : []) {
      reporter.say(`warning: the same at ${counted(lines.length, 'more place')} in ${file} (line${lines.length === 1 ? '' : 's'} ${lines.join(', ')}): ${message}`);
    }
    return graph;
  } catch (error) {
    reportLoadProblems(error, graphFile, reporter, reloading);
    return undefined;
  }
}

/**
 * For a command that only reads a graph (validate, graph): loads it, unless
 * a stop signal or SIGHUP comes first (a graph from a pipe or standard input
 * waits for its writer as long as it takes; QA: Node's default ended such a
 * wait with 143 and nothing said). Then it says so and gives exit code 1: the
 * graph was not checked, so neither 0 nor bad input. Once loaded, signals
 * get Node's defaults back for the rest of the command.
 */
export async function loadGraphUnlessInterrupted(
  graphFile: string,
  plugins: readonly string[],
  reporter: Reporter,
  early: EarlySignals,
): Promise<{ readonly graph: ResolvedGraph } | { readonly exit: ExitCode }> {
  early.tellWith((message) => reporter.say(message));
  const loading = await early.unlessInterrupted(loadGraphOrReport(graphFile, plugins, reporter), { endsOnHangup: true });
  if ('interrupted' in loading) {
    reporter.say(`${loading.interrupted}: stopped while loading the graph; nothing was checked`);
    return { exit: ExitCode.resourceFailed };
  }
  early.release();
  return loading.done ? { graph: loading.done } : { exit: ExitCode.badInput };
}

/**
 * Tells every problem of a graph that cannot be loaded, and how many there
 * were; rethrows anything that is not a problem of the graph (a bug, a
 * missing plugin's crash), which must not pass for one.
 */
export function reportLoadProblems(error: unknown, graphFile: string, reporter: Reporter, reloading: boolean): void {
  const problems = error instanceof GraphLoadError ? error.problems : isEngineError(error) && error.isInputError ? [error] : undefined;
  if (!problems) throw error;
  for (const problem of problems) reporter.problem(problem);
  reporter.say(problemsSummary(problems, graphFile, reloading));
}

/** Where a graph's plugins are looked for: next to where the user stands and next to the graph. */
export function graphLoadOptions(graphFile: string, plugins: readonly string[]): { plugins: readonly string[]; searchFrom: string[] } {
  const cwd = process.cwd();
  // Package names, or folders relative to the current directory (the loader resolves them).
  return { plugins, searchFrom: [cwd, dirname(resolve(cwd, graphFile))] };
}

/**
 * The line after a load's problems. They are counted "in" the graph file
 * only when one of them is in it: a --plugin that cannot be loaded is not
 * the graph's problem, and saying so would send the user to a good file.
 */
export function problemsSummary(problems: readonly EngineError[], graphFile: string, reloading: boolean): string {
  const inFile = problems.some((problem) => problem.location !== undefined);
  const where = inFile ? ` in ${graphFile}` : ` loading ${graphFile}`;
  return `${counted(problems.length, 'problem')}${where}${reloading ? '' : '; nothing was applied'}`;
}
