import { dirname, resolve } from 'node:path';
import { hostname as systemHostname } from 'node:os';
import { Engine, type ResolvedGraph, type ResourceStatus } from '@converge/engine';
import { isEngineError, type EngineError } from '@converge/engine-api';
import { ExitCode } from '../exit-codes.js';
import { createRootLogger } from '../logging.js';
import { commandLineReporter } from '../command-line-reporter.js';
import type { LogLevel } from '../options.js';
import { handleStrayErrors } from '../stray-errors.js';
import { handleEngineStopSignals, untilAborted } from '../signals.js';
import { openStateDirOrReport } from '../state-dir.js';
import { engineOptionsFrom } from '../engine-options.js';
import { StatusDisplay, summarize } from '../status-display.js';
import { distinctLine } from '../terminal-text.js';
import { Terminal } from '../terminal.js';
import { jsonReporter, textReporter, type Reporter } from '../reporter.js';
import { loadGraphOrReport } from './load-graph.js';
import { GraphReloader } from '../graph-reloader.js';
import { fileVersion } from '../file-version.js';
import { earlySignals, type EarlySignals } from '../early-signals.js';
import { withReversalFailures } from '../reversal-failures.js';
import { tellConvergence } from '../converged-lines.js';
import { runClusterCommand } from '../cluster/run-cluster.js';
import { printNoopDiffs, writeDiff, type DiffOutput } from '../noop-diffs.js';
import type { ListenAddress } from '../listen-address.js';
import { startObservers } from '../observers.js';
import { counted } from '../counted.js';
import { tellFailures } from '../capped-list.js';
import { drainOutput } from '../output-drain.js';

export interface RunFlags {
  readonly convergerTimeout: number;
  readonly convergedExit?: boolean;
  readonly noop?: boolean;
  readonly sema: number;
  readonly prefix?: string;
  readonly tmpPrefix?: boolean;
  readonly hostname?: string;
  readonly plugin: readonly string[];
  readonly logLevel: LogLevel;
  readonly logJson?: boolean;
  /** false with --no-watch: do not reload the graph when its file changes. */
  readonly watch?: boolean;
  /** --ui ADDRESS: serve the live web view. */
  readonly ui?: ListenAddress;
  /** --prometheus ADDRESS: serve metrics at /metrics. */
  readonly prometheus?: ListenAddress;
  /** --seeds: etcd client URLs; join that cluster instead of the local world. */
  readonly seeds?: readonly string[];
  /** --max-runtime N: stop as SIGTERM would after N seconds; 0 = no limit. */
  readonly maxRuntime?: number;
  /** --converged-status-file PATH: append `true`/`false` at each change of the converged state. */
  readonly convergedStatusFile?: string;
  /** --graphviz FILE: write the running graph in dot at the start and at each reload. */
  readonly graphviz?: string;
  /** What the command line asked that does nothing (mgmt's switches taken alone): said at the start. */
  readonly flagWarnings?: readonly string[];
}

/** `converge run GRAPH`: load, apply, keep converging until told to stop. */
export async function runCommand(graphFile: string | undefined, flags: RunFlags, early: EarlySignals = earlySignals()): Promise<ExitCode> {
  if (flags.seeds || graphFile === undefined) early.release();
  if (flags.seeds) return runClusterCommand(graphFile, { ...flags, seeds: flags.seeds });
  if (graphFile === undefined) {
    commandLineReporter(flags.logJson === true, flags.hostname).failure({ code: 'ERR_USAGE', message: "run needs a graph file (or --seeds to run the cluster's deploys)" });
    return ExitCode.badInput;
  }
  // `early` is not closed: until the run's own handlers take over, it is what ends a wait for the graph,
  // and a third stop signal (while a run that ended before them waits for a reader of its output) exits at once.
  return runGraphFile(graphFile, flags, early);
}

async function runGraphFile(graphFile: string, flags: RunFlags, early: EarlySignals): Promise<ExitCode> {
  const terminal = new Terminal(process.stderr);
  const hostname = flags.hostname ?? systemHostname();
  const onTerminal = process.stderr.isTTY === true && !flags.logJson;
  const logger = createRootLogger(
    { level: flags.logLevel, json: flags.logJson === true, color: onTerminal, hostname },
    terminal,
  );
  // --log-level error: warnings left out in text as in JSON lines.
  const reporter = flags.logJson ? jsonReporter(logger) : textReporter(terminal, { showsWarnings: flags.logLevel !== 'error' });
  const say = (message: string, fields?: Record<string, unknown>): void => reporter.say(message, fields);
  for (const warning of flags.flagWarnings ?? []) say(`warning: ${warning}`);
  early.tellWith(say);


  // Before reading it: a save from now on, until the reload watch is set up, is caught up with then.
  const loadedVersion = fileVersion(graphFile);
  // A graph from a pipe or standard input waits for its writer: a stop signal ends that wait.
  const loading = await early.unlessInterrupted(loadGraphOrReport(graphFile, flags.plugin, reporter, hostname));
  if ('interrupted' in loading) return stoppedWhileLoading(loading.interrupted, flags.convergedExit === true, say);
  const graph = loading.done;
  if (!graph) return ExitCode.badInput;

  const stateDir = await openStateDirOrReport(flags, reporter);
  if (!stateDir) return ExitCode.badInput;
  const toldReversible = new Set<string>();
  warnIfReversalsWillBeLost(graph, flags, say, toldReversible);
  logger.debug({ stateDir: stateDir.path }, 'state directory');

  try {
    const engine = new Engine(engineOptionsFrom(flags, { stateDir: stateDir.path, hostname, logger, graphDir: dirname(resolve(graphFile)) }));
    const display = new StatusDisplay(engine, onTerminal ? terminal : undefined, {
      write: (text) => process.stdout.write(text),
    });
    // On a terminal the diffs share stderr with the live status line, which must be redrawn below them.
    const diffOutput: DiffOutput = flags.logJson ? { json: logger } : { text: onTerminal ? terminal : { write: (text) => process.stdout.write(text) } };
    // `reversed: file[/etc/x]`, `would put back: …` (noop, after what it would do, as a diff precedes `would change: …`), `failed: …: reversal failed (kept for another try): …`.
    engine.onReversal(({ id, outcome, error, change }) => {
      if (change !== undefined) writeDiff(diffOutput, [id], 'would put back', change);
      display.tell(outcome === 'failed' ? `failed: ${distinctLine(id)}: ${error?.message ?? 'reversal failed'}` : `${outcome}: ${distinctLine(id)}`);
    });
    // Diffs for --noop, and for resources with meta: {noop: true} in a normal run, from the first graph
    // that has one (not before: listening makes the engine describe every check).
    let printingDiffs = false;
    const printDiffsFor = (next: ResolvedGraph): void => {
      if (printingDiffs || !(flags.noop || [...next.resources.values()].some((resource) => resource.meta.noop))) return;
      printingDiffs = true;
      printNoopDiffs(engine, diffOutput, (id) => display.tellAgain(id));
    };
    printDiffsFor(graph);
    const reloader = new GraphReloader({
      graphFile,
      load: () => loadGraphOrReport(graphFile, flags.plugin, reporter, hostname, { reloading: true }),
      swap: (next) => {
        printDiffsFor(next);
        warnIfReversalsWillBeLost(next, flags, say, toldReversible);
        return engine.swap(next);
      },
      reporter,
      // A one-shot run (--converged-exit at timeout 0) watches nothing, the graph file included (SIGHUP still reloads).
      watchFile: flags.watch !== false && !(flags.convergedExit === true && flags.convergerTimeout === 0),
      stopping: () => engine.isStopping,
      loadedVersion,
    });
    const observers = await startObservers(engine, flags, graph.name, reporter);
    if (!observers) return ExitCode.badInput;
    try {
      return await runEngine(engine, graph, { exitWhenConverged: flags.convergedExit === true, maxRuntime: flags.maxRuntime ?? 0 }, display, reporter, reloader, early);
    } finally {
      await observers.close();
    }
  } finally {
    await stateDir.dispose();
  }
}

async function runEngine(
  engine: Engine,
  graph: ResolvedGraph,
  { exitWhenConverged, maxRuntime }: { readonly exitWhenConverged: boolean; readonly maxRuntime: number },
  display: StatusDisplay,
  reporter: Reporter,
  reloader: GraphReloader,
  early: EarlySignals,
): Promise<ExitCode> {
  const say = (message: string, fields?: Record<string, unknown>): void => reporter.say(message, fields);
  // What the summary tells: the statuses when the run ended or a stop was asked for, taken
  // before the engine stops (which marks every resource `stopped`, a resource without a watch
  // within microtasks), and what resources became while stopping (a check that was running ends).
  let atStop: ResourceStatus[] | undefined;
  const endedWhileStopping = new Map<string, ResourceStatus>();
  let convergedBeforeStop = false;
  const takeStopSnapshot = (): void => {
    if (atStop) return;
    convergedBeforeStop = engine.converged.get();
    atStop = engine.statuses();
    engine.onStatus((status) => {
      if (status.state !== 'stopped') endedWhileStopping.set(status.id, status);
    });
  };
  const stopRequested = new AbortController();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    takeStopSnapshot();
    stopRequested.abort();
    stopping ??= engine.stop();
    return stopping;
  };
  const endStopSignals = handleEngineStopSignals(engine, stop, say, maxRuntime, reporter.listsInFull);
  early.handOverStops();
  const strayErrors = handleStrayErrors(engine, stop, reporter);
  // A stop signal while the graph loaded: nothing is applied, and the run ends as a stop would.
  if (early.stopSignal) {
    say(stoppingBeforeApplied(early.stopSignal));
    void stop();
  }

  // A daemon must not exit just because nothing holds the event loop: a graph
  // of resources without watches, or a checkApply awaiting only its abort
  // signal while we stop, holds no handle of its own.
  const keepAlive = setInterval(() => {}, 1 << 30);
  display.start();
  try {
    if (!stopRequested.signal.aborted) {
      await engine.start(graph);
      reloader.start();
      early.handOverHangups(true);
      // A SIGHUP while the graph loaded or the engine started: the graph may have been rewritten since it was read.
      if (early.hangup) reloader.reloadOnHangup();
    }
    if (exitWhenConverged) await whenConvergedOrStopped(engine, stopRequested.signal);
    else await Promise.all([untilAborted(stopRequested.signal), tellConvergence(engine, stopRequested.signal, say)]);
    takeStopSnapshot();
  } catch (error) {
    if (!isEngineError(error)) throw error;
    reporter.problem(error);
    return error.isInputError ? ExitCode.badInput : ExitCode.resourceFailed;
  } finally {
    try {
      reloader.stop();
      early.handOverHangups(false);
      await reloader.idle();
      await stop();
    } finally {
      await display.stop();
      // Every resource's line on stdout is out before the summary goes to stderr: with both in one
      // slow pipe (`2>&1 | tee log`), the summary came amid the last lines (QA). While the stop
      // signals are still handled: a third one ends a wait for a reader that does not read.
      await drainOutput([process.stdout]);
      endStopSignals();
      clearInterval(keepAlive);
    }
  }

  // Taken by the stop in `finally` at the latest.
  const statusesAtStop = atStop ?? engine.statuses();
  const failures = engine.failures();
  // A check that a forced stop cut short failed after the snapshot: count it as the failure it became.
  const failed = new Set(failures.map((failure) => failure.resource));
  const final = withReversalFailures(
    statusesAtStop
      .map((status) => endedWhileStopping.get(status.id) ?? status)
      .map((status) => (failed.has(status.id) ? { ...status, state: 'failed' as const } : status)),
    failures,
  );
  say(summarize(final));
  // Counted as the summary counts (a group's members fail with it); each failure is told once, by the resource that had it.
  const failedCount = Math.max(failures.length, final.filter((status) => status.state === 'failed').length);
  // More failed than errors: a group's members failed with the one error that names the group.
  const grouped = failedCount > failures.length ? ` (${counted(failures.length, 'error')}: a group fails as one)` : '';
  if (failures.length > 0) say(`${counted(failedCount, 'resource')} failed${grouped}:`);
  tellFailures(failures, reporter);
  if (failures.length > 0) return ExitCode.resourceFailed;
  if (strayErrors.threw()) {
    say('stopped after an internal error (above)');
    return ExitCode.resourceFailed;
  }
  // --converged-exit promises a converged graph: a stop (Ctrl-C, a CI timeout) before that is not a
  // success, unless what was running finished while stopping and left every resource converged.
  if (exitWhenConverged && !convergedBeforeStop) {
    if (final.length > 0 && final.every((status) => status.state === 'converged' && status.wouldChange !== true)) {
      say('stopped; every resource had converged by then (what was running finished while stopping)');
      return ExitCode.ok;
    }
    say('stopped before the graph converged');
    return ExitCode.resourceFailed;
  }
  return ExitCode.ok;
}

const stoppingBeforeApplied = (signal: NodeJS.Signals): string => `${signal}: stopping before the graph was applied; nothing was applied`;

/**
 * A stop signal before the graph was loaded: the run ends as a stop before
 * the engine started does (its summary counts nothing; --converged-exit was
 * not met), without waiting for the load. No state directory was opened yet.
 */
function stoppedWhileLoading(signal: NodeJS.Signals, exitWhenConverged: boolean, say: (message: string) => void): ExitCode {
  say(stoppingBeforeApplied(signal));
  say(summarize([]));
  if (!exitWhenConverged) return ExitCode.ok;
  say('stopped before the graph converged');
  return ExitCode.resourceFailed;
}

/**
 * What `meta: {reverse: true}` puts back is kept in the state directory:
 * with --tmp-prefix that goes at exit, and a later run cannot put anything
 * back. Said for each such resource once: at the start, or when a reload
 * brings it (a hot reload in this run still reverses).
 */
function warnIfReversalsWillBeLost(graph: ResolvedGraph, flags: Pick<RunFlags, 'tmpPrefix'>, say: (message: string) => void, told: Set<string>): void {
  if (!flags.tmpPrefix) return;
  // Each resource once: the first graph's, then those a reload adds.
  const reversible = [...graph.resources.values()].filter((resource) => resource.meta.reverse && !told.has(resource.id));
  for (const resource of reversible) told.add(resource.id);
  if (reversible.length === 0) return;
  const first = reversible[0]?.id ?? '';
  const others = reversible.length > 1 ? ` and ${reversible.length - 1} more` : '';
  say(
    `warning: ${distinctLine(first)}${others} ha${reversible.length > 1 ? 've' : 's'} meta: {reverse: true}, but --tmp-prefix removes the state directory at exit: ` +
      'what to put back is kept only during this run, and a later run cannot put back what was there before; use --prefix DIR to keep it',
  );
}

async function whenConvergedOrStopped(engine: Engine, stopRequested: AbortSignal): Promise<void> {
  try {
    await engine.whenConverged(stopRequested);
  } catch (error) {
    if (!stopRequested.aborted) throw error;
  }
}

