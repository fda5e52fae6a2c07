import { hostname as systemHostname } from 'node:os';
import {
  clusterKeys,
  clusterSettled,
  clusterWaitingFor,
  Engine,
  loadGraphSpec,
  parseGraphYaml,
  readGraphFile,
  statusesFrom,
  type EtcdWorld,
  type GraphSpec,
  type HostStatus,
  type ResourceStatus,
} from '@converge/engine';
import { connectEtcdWorld } from './connect-world.js';
import { ExitCode } from '../exit-codes.js';
import { createRootLogger } from '../logging.js';
import { jsonReporter, textReporter, type Reporter } from '../reporter.js';
import type { RunFlags } from '../commands/run.js';
import { handleStrayErrors } from '../stray-errors.js';
import { handleEngineStopSignals, untilAborted } from '../signals.js';
import { openStateDirOrReport } from '../state-dir.js';
import { engineOptionsFrom } from '../engine-options.js';
import { StatusDisplay, summarize } from '../status-display.js';
import { Terminal } from '../terminal.js';
import { ClusterAgent, type RefusedDeploy } from './cluster-agent.js';
import { GraphReloader } from '../graph-reloader.js';
import { fileVersion } from '../file-version.js';
import { worldLogger } from './world-logger.js';
import { graphLoadOptions, reportLoadProblems } from '../commands/load-graph.js';
import { startObservers } from '../observers.js';
import { tellFailures } from '../capped-list.js';
import { tellConvergence } from '../converged-lines.js';

/**
 * `converge run --seeds=...`: one host of a cluster. With a graph file it
 * runs that graph (plus collected resources); without one it runs the newest
 * deploy and follows the next ones. `--converged-exit` waits for every host.
 */
export async function runClusterCommand(graphFile: string | undefined, flags: RunFlags & { seeds: readonly string[] }): Promise<ExitCode> {
  const terminal = new Terminal(process.stderr);
  const hostname = flags.hostname ?? systemHostname();
  const onTerminal = process.stderr.isTTY === true && !flags.logJson;
  const logger = createRootLogger({ level: flags.logLevel, json: flags.logJson === true, color: onTerminal, hostname }, terminal);
  // --log-level error: warnings left out in text as in JSON lines.
  const reporter = flags.logJson ? jsonReporter(logger) : textReporter(terminal, { showsWarnings: flags.logLevel !== 'error' });
  const say = (message: string, fields?: Record<string, unknown>): void => reporter.say(message, fields);
  for (const warning of flags.flagWarnings ?? []) say(`warning: ${warning}`);

  let graph: GraphSpec | undefined;
  // Before reading it: a save from now on, until the reload watch is set up, is caught up with then.
  const loadedVersion = graphFile === undefined ? undefined : fileVersion(graphFile);
  if (graphFile !== undefined) {
    graph = await checkedGraph(graphFile, flags.plugin, reporter);
    if (!graph) return ExitCode.badInput;
  }

  const stateDir = await openStateDirOrReport(flags, reporter);
  if (!stateDir) return ExitCode.badInput;

  const world = await connectEtcdWorld({ hostname, seeds: flags.seeds, log: worldLogger(logger) });
  const engine = new Engine(engineOptionsFrom(flags, { stateDir: stateDir.path, hostname, logger, world }));
  // --ui and --prometheus, as for a single host: before anything runs, and nothing runs when one cannot listen.
  const observers = await startObservers(engine, flags, `${graph?.name ?? 'deploys'} on ${hostname}`, reporter);
  if (!observers) {
    await world.close();
    await stateDir.dispose();
    return ExitCode.badInput;
  }
  const display = new StatusDisplay(engine, onTerminal ? terminal : undefined, { write: (text) => process.stdout.write(text) });
  const agent = new ClusterAgent({ engine, world, hostname, ...(graph ? { graph } : {}), plugins: flags.plugin, reporter });

  // The statuses the summary tells, taken when a stop is asked for: stopping marks every
  // resource `stopped` (one without a watch within microtasks, before the run goes on).
  let statusesAtStop: ResourceStatus[] | undefined;
  const stopRequested = new AbortController();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    statusesAtStop ??= engine.statuses();
    stopRequested.abort();
    stopping ??= agent.stop().then(() => engine.stop());
    return stopping;
  };
  const endStopSignals = handleEngineStopSignals(engine, stop, say, flags.maxRuntime ?? 0, reporter.listsInFull);
  const strayErrors = handleStrayErrors(engine, stop, reporter);
  // As a single host: saving the graph file (or SIGHUP) swaps the new graph
  // in. An agent that follows deploys has no file: SIGHUP is only told.
  const reloader =
    graphFile === undefined
      ? undefined
      : new GraphReloader<GraphSpec>({
          graphFile,
          load: () => checkedGraph(graphFile, flags.plugin, reporter, true),
          swap: (next) => agent.replaceGraph(next),
          reporter,
          watchFile: flags.watch !== false,
          loadedVersion,
        });
  const onHangupWithoutFile = (): void => say('SIGHUP: this agent runs the deploys of the cluster; `converge deploy` changes its graph');
  if (reloader) reloader.start();
  else process.on('SIGHUP', onHangupWithoutFile);
  const keepAlive = setInterval(() => {}, 1 << 30);
  display.start();
  let summary: string;
  let clusterOutcome: ExitCode = ExitCode.ok;
  try {
    agent.start();
    void tellJoined(world, flags.seeds, hostname, graph, stopRequested.signal, say);
    if (flags.convergedExit) {
      void tellWaitingForEtcd(world, engine, flags.seeds, stopRequested.signal, say);
      const waitEnded = new AbortController();
      const waiting = AbortSignal.any([stopRequested.signal, waitEnded.signal]);
      const outcome = await Promise.race([
        clusterSettledOrStopped(world, engine, waiting, say).then((settled) => ({ settled })),
        refusedWithoutGraph(agent, waiting).then((refused) => ({ refused })),
      ]);
      waitEnded.abort();
      if ('refused' in outcome && outcome.refused) {
        // Nothing to wait for: this host runs nothing, and only another deploy would change that.
        say(`deploy ${outcome.refused.deploy} (${outcome.refused.file}) cannot run on this host (above) and it has no graph to run instead: nothing was applied`);
        clusterOutcome = ExitCode.badInput;
      } else {
        clusterOutcome = tellClusterOutcome('settled' in outcome ? outcome.settled : undefined, hostname, say);
      }
    } else {
      // As a single host's run that goes on: each convergence is told (QA: a cluster run never said it).
      await Promise.all([untilAborted(stopRequested.signal), tellConvergence(engine, stopRequested.signal, say)]);
    }
    summary = summarize(statusesAtStop ?? engine.statuses());
  } finally {
    try {
      reloader?.stop();
      process.off('SIGHUP', onHangupWithoutFile);
      await reloader?.idle();
      await stop();
    } finally {
      await display.stop();
      await observers.close();
      endStopSignals();
      clearInterval(keepAlive);
      await world.close();
      await stateDir.dispose();
    }
  }
  say(summary);
  const failures = engine.failures();
  tellFailures(failures, reporter);
  if (failures.length > 0) return ExitCode.resourceFailed;
  if (strayErrors.threw()) {
    say('stopped after an internal error (above)');
    return ExitCode.resourceFailed;
  }
  return clusterOutcome;
}

/**
 * Says that the host joined once etcd has answered; when its first call
 * fails, says so first: etcd may come later (the agent keeps retrying, and
 * runs its graph meanwhile), or --seeds may be wrong.
 */
async function tellJoined(
  world: EtcdWorld,
  seeds: readonly string[],
  hostname: string,
  graph: GraphSpec | undefined,
  stop: AbortSignal,
  say: (message: string) => void,
): Promise<void> {
  const where = seeds.join(',');
  try {
    if ((await world.answered.when((answered) => answered !== undefined, stop)) === false) {
      const meanwhile = graph ? `running ${graph.name} meanwhile` : 'deploys run once it answers';
      say(`could not reach etcd at ${where} yet (check --seeds); retrying, ${meanwhile}`);
      await world.answered.when((answered) => answered === true, stop);
    }
    say(`joined the cluster at ${where} as ${hostname}${graph ? '' : '; waiting for deploys'}`);
  } catch {
    // stopped first
  }
}

/**
 * A `--converged-exit` run whose graph has converged here while etcd has
 * never answered waits for the cluster with nothing on the screen: said once,
 * or the run looks hung (a wrong --seeds is the usual cause).
 */
async function tellWaitingForEtcd(
  world: EtcdWorld,
  engine: Engine,
  seeds: readonly string[],
  stop: AbortSignal,
  say: (message: string) => void,
): Promise<void> {
  try {
    await engine.converged.when((converged) => converged, stop);
    if (world.answered.get() === true) return;
    say(`converged here; waiting for etcd at ${seeds.join(',')} to answer, to learn whether the cluster has converged (check --seeds; Ctrl-C stops)`);
  } catch {
    // stopped first
  }
}

/** This host refused the newest deploy and has no graph at all; undefined when the wait ended first. */
async function refusedWithoutGraph(agent: ClusterAgent, signal: AbortSignal): Promise<RefusedDeploy | undefined> {
  try {
    return await agent.refusal.when((refused) => refused !== undefined && !refused.hasGraph, signal);
  } catch {
    return undefined; // the wait ended first
  }
}

/**
 * Says how a `--converged-exit` wait ended; exit code 1 when it was
 * stopped, another host has failures, or a host refused the deploy.
 */
function tellClusterOutcome(settled: readonly HostStatus[] | undefined, hostname: string, say: (message: string) => void): ExitCode {
  if (!settled) {
    say('stopped before the cluster converged');
    return ExitCode.resourceFailed;
  }
  const failing = settled.filter((status) => status.failed > 0);
  const refusing = settled.filter((status) => status.refused !== undefined);
  if (failing.length === 0 && refusing.length === 0) {
    say('the cluster has converged');
    return ExitCode.ok;
  }
  if (failing.length > 0) {
    const where = failing.map((status) => `${status.host} (${status.failed} failed)`).join(', ');
    say(`the cluster has settled with failed resources: ${where}`);
  }
  const refused = refusing[0]?.refused;
  if (refused) {
    // Settled: only another deploy changes a refusal (QA: it counted as converged on the deploy).
    const who = refusing.map((status) => `${status.host} refused it (${status.refused?.reason})`).join(', ');
    say(`the cluster has settled, but not every host runs deploy ${refused.deploy}: ${who}`);
    return ExitCode.resourceFailed;
  }
  // This host's own failures are told below, with their errors.
  return failing.some((status) => status.host !== hostname) ? ExitCode.resourceFailed : ExitCode.ok;
}

/** Parses and checks the graph file before joining, so a bad graph exits 2 at once (or, `reloading`, the running graph stays). */
async function checkedGraph(graphFile: string, plugins: readonly string[], reporter: Reporter, reloading = false): Promise<GraphSpec | undefined> {
  try {
    const spec = parseGraphYaml(await readGraphFile(graphFile), graphFile);
    await loadGraphSpec(spec, graphLoadOptions(graphFile, plugins));
    return spec;
  } catch (error) {
    reportLoadProblems(error, graphFile, reporter, reloading);
    return undefined;
  }
}

/**
 * The hosts' statuses once this host and every host publishing a status
 * have settled on the same deploy (converged, or left with failures);
 * undefined when a stop came first.
 */
async function clusterSettledOrStopped(
  world: EtcdWorld,
  engine: Engine,
  stopRequested: AbortSignal,
  say: (message: string) => void,
): Promise<HostStatus[] | undefined> {
  const statuses = new Map<string, string>();
  let told: string | undefined;
  const watch = new AbortController();
  const stopWatching = (): void => watch.abort();
  stopRequested.addEventListener('abort', stopWatching, { once: true });
  try {
    for await (const batch of world.watch(clusterKeys.statusPrefix, watch.signal)) {
      for (const change of batch) {
        if (change.value === undefined) statuses.delete(change.key);
        else statuses.set(change.key, change.value);
      }
      const all = statusesFrom(statuses.values());
      const mine = all.find((status) => status.host === world.hostname);
      const settledHere = mine !== undefined && (mine.refused !== undefined || engine.converged.get());
      if (settledHere && all.every((status) => status.graph !== undefined || status.refused !== undefined) && clusterSettled(all)) return all;
      // What the wait is for, said once each time it changes, or the wait looks hung (QA: 40 s of nothing while
      // one host never converged): hosts on different graphs (they never settle by waiting) at once; the
      // hosts not converged yet once this one is done (before that, it waits for itself too).
      const waiting = clusterWaitingFor(all);
      const worthSaying = waiting !== undefined && (waiting.startsWith('the hosts run different graphs') || mine?.converged === true || mine?.refused !== undefined);
      if (worthSaying && waiting !== told) say(`waiting: ${waiting}`);
      if (worthSaying || waiting === undefined) told = waiting;
    }
    return undefined;
  } finally {
    stopRequested.removeEventListener('abort', stopWatching);
    watch.abort();
  }
}

