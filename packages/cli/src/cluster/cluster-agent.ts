import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import {
  clusterKeys,
  collectConflictWarning,
  collectFor,
  composeGraph,
  encodeHostStatus,
  exportsOf,
  exportToSpec,
  followDeploys,
  GraphLoadError,
  loadGraphSpec,
  parseExport,
  parseGraphYaml,
  publishExports,
  readDeploy,
  Scheduler,
  EventValue,
  type CollectConflict,
  type DeployRefusal,
  type Engine,
  type EtcdWorld,
  type ExportedResource,
  type GraphSpec,
  type ResolvedGraph,
} from '@converge/engine';
import { isEngineError, type EngineError } from '@converge/engine-api';
import type { Reporter } from '../reporter.js';
import { counted } from '../counted.js';

/** How often a run writes its status again over a twin's, so that the twin learns of it (see #watchOwnName). */
const MAX_TWIN_REASSERTS = 3;

/** How often a host looks whether its status changed other than by converging (see #publishStatusOnChange). */
const STATUS_LOOK_MS = 1_000;

/** This host could not load a deploy (see ClusterAgent.refusal). */
export interface RefusedDeploy extends DeployRefusal {
  readonly file: string;
  /** Whether the host runs a graph all the same (the deploy before); false: none at all. */
  readonly hasGraph: boolean;
}

/** At most this much of a problem's message goes into the status's reason (the full problems are told on the host). */
const REASON_MAX = 160;

export interface ClusterAgentOptions {
  readonly engine: Engine;
  readonly world: EtcdWorld;
  readonly hostname: string;
  /** The host's own graph; undefined = run the newest deploy. */
  readonly graph?: GraphSpec;
  readonly plugins: readonly string[];
  readonly reporter: Reporter;
}

/**
 * One host of a cluster: runs its graph (a file, or the newest deploy) plus
 * the resources other hosts exported to it, swapping the graph live as
 * deploys and exports come and go; publishes its own exports and its status.
 * A graph that does not check out leaves the running one in place.
 */
export class ClusterAgent {
  readonly #options: ClusterAgentOptions;
  readonly #stop = new AbortController();
  /** The graph to run: a file's, or a deploy's (`#baseDeploy`); the running one's again once a new one was refused. */
  #base: GraphSpec | undefined;
  #baseDeploy: number | undefined;
  /** What the running graph was built from (see #rebuildOnce); undefined before the first graph. */
  #running: { readonly base: GraphSpec; readonly deploy: number | undefined } | undefined;
  /** The newest deploy, when it could not be loaded here (published in the status). */
  #refused: DeployRefusal | undefined;
  /** Set when this host could not load the newest deploy; undefined again once a later one runs. */
  readonly refusal = new EventValue<RefusedDeploy | undefined>(undefined);
  #exports = new Map<string, ExportedResource>();
  #graph: ResolvedGraph | undefined;
  #rebuilding: Promise<void> | undefined;
  #again = false;
  #loops: Promise<void>[] = [];
  /** The status last published, without its time (see #publishStatus). */
  #statusTold: string | undefined;
  #schedule: { key: string; scheduler: Scheduler; stop: AbortController; loop: Promise<void> } | undefined;
  /** The exports the running graph has, until the world holds them (see #publishExports). */
  #exportsToPublish: ExportedResource[] | undefined;
  /** The exports the running graph has, as the world must hold them (key → stored value): what a change of them by another client is told from. */
  #wantedExports: { readonly list: ExportedResource[]; readonly byKey: ReadonlyMap<string, string> } | undefined;
  #publishing: Promise<void> | undefined;
  /** This run's id in its status and exports (see #watchOwnName). */
  readonly #instance = randomUUID();
  /** Another run has this host's name (see #twinFound). */
  #twin = false;
  /** How often this run wrote its status again over a twin's (see #watchOwnName). */
  #reasserted = 0;
  /** The collect conflicts told and still there (see #tellConflicts). */
  #conflictsTold = new Set<string>();
  /** This run's status reached the world once (etcd acknowledged it). */
  readonly #statusPublished = new EventValue(false);

  constructor(options: ClusterAgentOptions) {
    this.#options = options;
    this.#base = options.graph;
  }

  /** The deploy running now, if any. */
  get deploy(): number | undefined {
    return this.#running?.deploy;
  }

  start(): void {
    const signal = this.#stop.signal;
    this.#loops.push(this.#followExports(signal), this.#publishStatusOnChange(signal), this.#watchOwnName(signal));
    if (!this.#base) this.#loops.push(this.#followDeploys(signal));
    else this.#rebuild();
  }

  /**
   * The host's own graph file changed (hot reload, SIGHUP): builds and swaps
   * in the new graph plus what it collects. Resolves once that is done; a
   * graph that does not check out leaves the running one (and says why).
   */
  async replaceGraph(graph: GraphSpec): Promise<void> {
    this.#base = graph;
    this.#rebuild();
    while (this.#rebuilding) await this.#rebuilding;
  }

  /** Stops following the world; the engine keeps running until its owner stops it. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#loops, this.#schedule?.loop]);
    while (this.#rebuilding) await this.#rebuilding;
    await this.#publishing;
    // Said, or a stop during an outage would leave collectors on older exports without a word (QA).
    if (this.#exportsToPublish !== undefined) {
      this.#options.reporter.say('the exports of the running graph were not published (etcd did not answer): the others keep the ones published before, until this host runs again');
    }
  }

  async #followDeploys(signal: AbortSignal): Promise<void> {
    for await (const id of followDeploys(this.#options.world, signal)) {
      if (id === this.#baseDeploy || id === this.#refused?.deploy) continue;
      const deploy = await this.#retrying(() => readDeploy(this.#options.world, id), signal);
      if (!deploy) continue;
      let base: GraphSpec;
      try {
        base = parseGraphYaml(deploy.text, deploy.file);
      } catch (error) {
        this.#report(error);
        const reason = error instanceof GraphLoadError ? briefReason(error.problems) : error instanceof Error ? error.message : String(error);
        await this.#refuse(id, deploy.file, reason, 'does not parse');
        continue;
      }
      this.#base = base;
      this.#baseDeploy = id;
      this.#rebuild();
    }
  }

  async #followExports(signal: AbortSignal): Promise<void> {
    let first = true;
    for await (const batch of this.#options.world.watch(clusterKeys.exportsPrefix, signal)) {
      let relevant = false;
      let ownChangedElsewhere = false;
      // What was there before this run started may be its own earlier run's (exports outlive it): only later writes tell of a twin.
      const written = first ? [] : batch;
      first = false;
      if (written.some((change) => change.key.startsWith(clusterKeys.exportsOf(this.#options.hostname)) && this.#writtenByAnother(change.value))) {
        this.#twinFound('exports');
      }
      for (const change of batch) {
        const exported = change.value === undefined ? undefined : parseExport(change.value);
        const previous = this.#exports.get(change.key);
        if (exported) this.#exports.set(change.key, exported);
        else this.#exports.delete(change.key);
        // This host's own exports matter to it only when hidden: it collects those back.
        const own = change.key.startsWith(clusterKeys.exportsOf(this.#options.hostname));
        relevant ||= !own || exported?.meta['hidden'] === true || previous?.meta['hidden'] === true;
        // Deleted or rewritten by another client (a retire while this host was paused, etcdctl): put back.
        if (own && this.#wantedExports && this.#wantedExports.byKey.get(change.key) !== change.value) ownChangedElsewhere = true;
      }
      // Not against a twin: two runs putting back their own would delete each other's for good (QA).
      if (ownChangedElsewhere && this.#wantedExports && !this.#twin) this.#publishExports(this.#wantedExports.list);
      if (relevant && this.#base?.collect?.length) this.#rebuild();
    }
  }

  /**
   * Publishes the host's status when it converges or stops being converged,
   * and otherwise when what it tells changed (a failure, a graph), looked at
   * every STATUS_LOOK_MS: with the default converger timeout (-1) converged
   * never changes, and a failure count would stay as first published.
   */
  async #publishStatusOnChange(signal: AbortSignal): Promise<void> {
    const watcher = this.#options.engine.converged.watch();
    const look = setInterval(() => void this.#publishStatus(false), STATUS_LOOK_MS);
    try {
      for (;;) {
        await this.#publishStatus(true);
        await watcher.next(signal);
      }
    } catch {
      // stopped
    } finally {
      clearInterval(look);
      watcher.close();
    }
  }

  /**
   * Two agents given one --hostname overwrite each other's status and
   * exports without a sign. Each run puts an id of its own in its status and
   * its exports; a status or an export of this host's name written by
   * another run after this one started is said, once (see #twinFound). What
   * was there before is not: it may be this host's own run killed a moment
   * ago, whose status lives on until its lease ends, and whose exports stay.
   */
  async #watchOwnName(signal: AbortSignal): Promise<void> {
    const key = clusterKeys.status(this.#options.hostname);
    let first = true;
    try {
      for await (const batch of this.#options.world.watch(key, signal)) {
        if (first) {
          first = false;
          // Another run's status there already: its own earlier run's, which writes no more, or a twin's
          // (one that wrote again before this watch began). Once etcd has acknowledged this run's status,
          // only a twin's can have replaced it.
          if (!batch.some((change) => change.key === key && this.#writtenByAnother(change.value))) continue;
          await this.#statusPublished.when((published) => published, signal);
          if (this.#writtenByAnother(await this.#options.world.get(key))) this.#twinFound('status');
          continue;
        }
        if (!batch.some((change) => change.key === key && this.#writtenByAnother(change.value))) continue;
        if (!this.#twin) {
          this.#twinFound('status');
        } else if (this.#reasserted < MAX_TWIN_REASSERTS) {
          // The other may have begun watching only after this run wrote on finding it: written again, a few
          // times at most (each side does the same), so that it learns of this one too.
          this.#reasserted++;
          void this.#publishStatus(true).catch(() => undefined);
        }
      }
    } catch {
      // stopped
    }
  }

  /** Whether a stored status or export carries another run's id. */
  #writtenByAnother(value: string | undefined): boolean {
    if (value === undefined) return false;
    try {
      const instance = (JSON.parse(value) as { instance?: unknown }).instance;
      return typeof instance === 'string' && instance !== this.#instance;
    } catch {
      return false;
    }
  }

  /**
   * Another run has this host's name: said once; from then on this run no
   * longer puts back its exports that the other replaces or deletes (each
   * putting back its own would delete the other's, until neither has any),
   * and it writes its status again so that the other learns of it too.
   */
  #twinFound(what: 'status' | 'exports'): void {
    if (this.#twin) return;
    this.#twin = true;
    const { hostname, reporter } = this.#options;
    reporter.say(
      `another converge runs as host ${hostname}: it wrote over this one's ${what}. Two hosts with one name overwrite each other's status and exports (the last to write wins, and this one no longer puts its exports back); give each its own --hostname`,
    );
    void this.#publishStatus(true).catch(() => undefined);
  }

  /** Publishes the status; unless `always`, only when something in it but its time changed. */
  async #publishStatus(always = true): Promise<void> {
    const { engine, hostname, world } = this.#options;
    const graph = this.#graph;
    const deploy = this.#running?.deploy;
    const status = {
      host: hostname,
      converged: graph !== undefined && engine.converged.get(),
      ...(deploy === undefined ? {} : { deploy }),
      ...(graph ? { graph: graph.name } : {}),
      ...(this.#refused ? { refused: this.#refused } : {}),
      resources: graph?.resources.size ?? 0,
      failed: engine.failures().length,
      instance: this.#instance,
    };
    const told = JSON.stringify(status);
    if (!always && told === this.#statusTold) return;
    this.#statusTold = told;
    const written = await world.setLeased(clusterKeys.status(hostname), encodeHostStatus({ ...status, time: new Date().toISOString() }));
    // Only once etcd holds it: until then a status of another run there may be this host's previous run's, left
    // while etcd was away (QA: a run started then took it for a twin's, and no longer put its exports back).
    if (written) this.#statusPublished.set(true);
    // Not in etcd yet: the next look (every STATUS_LOOK_MS) writes it again.
    else if (this.#statusTold === told) this.#statusTold = undefined;
  }

  /** Builds and swaps in the graph again; runs one at a time, coalescing requests. */
  #rebuild(): void {
    if (this.#rebuilding) {
      this.#again = true;
      return;
    }
    this.#rebuilding = this.#rebuildOnce()
      .catch((error: unknown) => this.#report(error))
      .finally(() => {
        this.#rebuilding = undefined;
        if (this.#again && !this.#stop.signal.aborted) {
          this.#again = false;
          this.#rebuild();
        }
      });
  }

  async #rebuildOnce(): Promise<void> {
    const base = this.#base;
    const deploy = this.#baseDeploy;
    if (!base) return;
    const { engine, hostname, reporter } = this.#options;
    const scheduler = this.#schedulerFor(base);
    const scheduledHere = !scheduler || scheduler.mine;
    // A host the schedule did not choose runs the graph empty: it stays a candidate, ready to take over.
    const own: GraphSpec = scheduledHere ? base : { name: base.name, file: base.file, resources: [], edges: [], plugins: base.plugins };
    const conflicts: CollectConflict[] = [];
    const collected = collectFor(hostname, own.collect ?? [], this.#exports.values(), (conflict) => conflicts.push(conflict));
    this.#tellConflicts(own, conflicts);
    let used = collected;
    let resolved = await this.#resolve(composeGraph(own, collected.map(exportToSpec)));
    if (resolved.graph === undefined && collected.length > 0) {
      reporter.say(`the collected resources were rejected; running ${base.name} without them`);
      used = [];
      resolved = await this.#resolve(own);
    }
    if (resolved.graph === undefined) {
      if (base === this.#running?.base) reporter.say(`${base.file} was not applied; the running graph is unchanged`);
      else await this.#refuseBase(base, deploy, resolved.problems);
      return;
    }
    const { graph } = resolved;
    if (deploy !== undefined && deploy !== this.#running?.deploy) reporter.say(`running deploy ${deploy} (${base.file})`);
    await engine.swap(graph);
    this.#graph = graph;
    this.#running = { base, deploy };
    if (this.#refused && deploy !== undefined && deploy > this.#refused.deploy) {
      this.#refused = undefined;
      this.refusal.set(undefined);
    }
    const where = scheduler ? (scheduledHere ? '; scheduled here' : '; not scheduled here') : '';
    reporter.say(`graph ${graph.name}: ${counted(graph.resources.size, 'resource')} (${used.length} collected${where})`);
    await this.#publishStatus();
    // Exports come from the host's own graph: in the running one, its hidden
    // resources are replaced by collected copies (its own, or another host's
    // of the same kind[name]), which export nothing.
    const ownGraph = used.length === 0 ? graph : (await this.#resolve(own)).graph;
    if (ownGraph) this.#publishExports(exportsOf(ownGraph, hostname).map((exported) => ({ ...exported, instance: this.#instance })));
  }

  /**
   * Says each conflict of two exports this host collects as one (the rule
   * keeps one, see collectFor) once, not at each rebuild: again only if it
   * went away and came back.
   */
  #tellConflicts(spec: GraphSpec, conflicts: readonly CollectConflict[]): void {
    const now = new Set<string>();
    let precise: GraphSpec | undefined;
    for (const conflict of conflicts) {
      const pair = JSON.stringify([conflict.kept.kind, conflict.kept.host, conflict.kept.name, conflict.dropped.host, conflict.dropped.name]);
      now.add(pair);
      if (this.#conflictsTold.has(pair)) continue;
      // At the `collect:` entry's line: the fast parse keeps no positions.
      precise ??= spec.precise?.() ?? spec;
      const collect = precise.collect?.[spec.collect?.indexOf(conflict.collect) ?? -1] ?? conflict.collect;
      this.#options.reporter.warning(collectConflictWarning({ ...conflict, collect }));
    }
    this.#conflictsTold = now;
  }

  /**
   * Makes the world hold the newest `exports` as this host's, in the
   * background, one publication at a time: tried again until etcd answers
   * (it may be away at the start, or at a reload), so none is missed.
   */
  #publishExports(exports: ExportedResource[]): void {
    const { world, hostname } = this.#options;
    this.#wantedExports = { list: exports, byKey: new Map(exports.map((each) => [clusterKeys.exported(hostname, each.kind, each.name), JSON.stringify(each)])) };
    this.#exportsToPublish = exports;
    if (this.#publishing) return; // it publishes these next
    const publishNewest = async (): Promise<void> => {
      for (let wanted = this.#exportsToPublish; wanted; wanted = this.#exportsToPublish) {
        await publishExports(world, hostname, wanted);
        if (this.#exportsToPublish === wanted) this.#exportsToPublish = undefined;
      }
    };
    this.#publishing = this.#retrying(publishNewest, this.#stop.signal).finally(() => {
      this.#publishing = undefined;
      if (this.#exportsToPublish && !this.#stop.signal.aborted) this.#publishExports(this.#exportsToPublish);
    });
  }

  /** The scheduler of the graph's `schedule:` (started on first use; replaced when the schedule changes). */
  #schedulerFor(base: GraphSpec): Scheduler | undefined {
    const spec = base.schedule;
    const key = spec ? `${base.name}:${spec.strategy}:${spec.max}` : undefined;
    if (this.#schedule && this.#schedule.key !== key) {
      this.#schedule.stop.abort();
      this.#schedule = undefined;
    }
    if (!spec || key === undefined) return undefined;
    if (this.#schedule) return this.#schedule.scheduler;
    const scheduler = new Scheduler(this.#options.world, base.name, spec);
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, this.#stop.signal]);
    const followChoice = async (): Promise<void> => {
      const watcher = scheduler.chosen.watch();
      try {
        for (;;) {
          await watcher.next(signal);
          this.#rebuild();
        }
      } catch {
        // stopped
      } finally {
        watcher.close();
      }
    };
    const loop = Promise.all([scheduler.run(signal).catch((error: unknown) => this.#report(error)), followChoice()]).then(() => undefined);
    this.#schedule = { key, scheduler, stop, loop };
    return scheduler;
  }

  /** The graph checked and its plugins loaded; or its problems, told. */
  async #resolve(spec: GraphSpec): Promise<{ graph: ResolvedGraph; problems?: undefined } | { graph?: undefined; problems: readonly EngineError[] }> {
    const cwd = process.cwd();
    try {
      return {
        graph: await loadGraphSpec(spec, {
          plugins: this.#options.plugins,
          searchFrom: [cwd, dirname(resolve(cwd, spec.file))],
        }),
      };
    } catch (error) {
      if (!(error instanceof GraphLoadError)) throw error;
      for (const problem of error.problems) this.#options.reporter.problem(problem);
      return { problems: error.problems };
    }
  }

  /**
   * A new graph (a deploy, a saved file) does not load here: the running
   * one stays, and so does what the next rebuild builds (a change of the
   * collected resources must not try the refused graph again). A deploy's
   * refusal goes into the status (QA: the host counted as converged on it).
   */
  async #refuseBase(base: GraphSpec, deploy: number | undefined, problems: readonly EngineError[]): Promise<void> {
    if (this.#base === base) {
      this.#base = this.#running?.base;
      this.#baseDeploy = this.#running?.deploy;
      // The refused graph's `schedule:` made this host a candidate for it: back to the running graph's, or none.
      if (this.#base) this.#schedulerFor(this.#base);
      else {
        this.#schedule?.stop.abort();
        this.#schedule = undefined;
      }
    }
    if (deploy !== undefined) {
      await this.#refuse(deploy, base.file, briefReason(problems), 'was not applied');
      return;
    }
    this.#options.reporter.say(`${base.file} was not applied; ${this.#running ? 'the running graph is unchanged' : 'this host runs no graph yet'}`);
  }

  /** Deploy `deploy` cannot run here (its problems were told): said, published, and set in `refusal`. */
  async #refuse(deploy: number, file: string, reason: string, what: 'does not parse' | 'was not applied'): Promise<void> {
    const running = this.#running;
    const instead = running
      ? `this host goes on running ${running.deploy === undefined ? running.base.name : `deploy ${running.deploy} (${running.base.name})`}`
      : 'this host runs no graph until a deploy it can load';
    this.#options.reporter.say(`deploy ${deploy} (${file}) ${what}; ${instead}`);
    this.#refused = { deploy, reason };
    this.refusal.set({ ...this.#refused, file, hasGraph: running !== undefined });
    await this.#publishStatus().catch(() => undefined);
  }

  /** Retries a world read until it answers (etcd may be away for a while). */
  async #retrying<T>(read: () => Promise<T>, signal: AbortSignal): Promise<T | undefined> {
    while (!signal.aborted) {
      try {
        return await read();
      } catch {
        await new Promise((done) => setTimeout(done, 500));
      }
    }
    return undefined;
  }

  #report(error: unknown): void {
    if (error instanceof GraphLoadError) for (const problem of error.problems) this.#options.reporter.problem(problem);
    else if (isEngineError(error)) this.#options.reporter.problem(error as EngineError);
    else this.#options.reporter.say(`cluster agent: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The first problem in a line (`line 4: motd[m]: no installed plugin provides kind 'motd'`), and how many more. */
function briefReason(problems: readonly EngineError[]): string {
  const first = problems[0];
  if (!first) return 'it does not load';
  const where = first.location ? `line ${first.location.line}: ` : '';
  const who = first.resource ? `${first.resource}: ` : '';
  // What follows a `;` in a message is detail (the kinds installed here…): the host told it in full.
  let message = first.message.split('; ')[0] ?? first.message;
  if (message.length > REASON_MAX) message = `${message.slice(0, REASON_MAX - 1)}…`;
  const more = problems.length > 1 ? ` (and ${counted(problems.length - 1, 'more problem')})` : '';
  return `${where}${who}${message}${more}`;
}
