import { readdirSync } from 'node:fs';
import { hostname as systemHostname } from 'node:os';
import { join } from 'node:path';
import { EngineError, isEngineError, type AnyResourceDefinition, type World } from '@converge/engine-api';
import { pino, type Logger as PinoLogger } from 'pino';
import type { GroupedResource } from '../graph/autogroup.js';
import type { ResolvedEdge, ResolvedGraph, ResolvedResource } from '../graph/spec.js';
import type { KindResolver } from '../loader/kind-resolver.js';
import { LocalWorld } from '../world/local-world.js';
import { ControllerPool } from './controller-pool.js';
import { Converger } from './converger.js';
import { EventValue } from './event-value.js';
import { RefreshStore } from './refresh-store.js';
import { RunQueue } from './run-queue.js';
import { SecretValues, secretSendKeys } from './secrets.js';
import { SemaphoreTable } from './semaphore.js';
import type { ResourceStatus } from './status.js';
import type { EngineEventListener } from './engine-events.js';
import type { EngineEvent } from './engine-events.js';
import { applyReversal, checkReversal } from './apply-reversal.js';
import { planGraph, wireEdges, type GraphPlan } from './graph-plan.js';
import { ReversalStore, type StoredReversal } from './reversal-store.js';
import { Vertex } from './vertex.js';
import { receiveKey } from './vertex-receive.js';
import { swapChanges, type SwapChanges } from './swap-changes.js';
import type { VertexEnv } from './vertex-env.js';

/** A reversal tried for a resource that left the graph: done, failed (kept for another try), or only checked (noop). */
export interface ReversalOutcome {
  readonly id: string;
  readonly outcome: 'reversed' | 'failed' | 'would put back';
  readonly error?: EngineError;
  /** What putting it back would do (`would put back`), as its kind describes a change in a dry run; masked for secrets. */
  readonly change?: string;
}

export interface EngineOptions {
  /** Where per-resource state, pending refreshes and the local world live. */
  readonly stateDir: string;
  /** This host's name; defaults to the system's. */
  readonly hostname?: string;
  /** Root logger; resources get children tagged with `resource`. Silent by default. */
  readonly logger?: PinoLogger;
  /** Global --noop: check everything, change nothing. */
  readonly noop?: boolean;
  /** Global --sema N: at most N checkApply calls at once (0 = no limit). */
  readonly sema?: number;
  /**
   * Seconds every resource must stay idle before the graph counts as
   * converged; 0 = as soon as all are idle; -1 (default) = never.
   */
  readonly convergerTimeout?: number;
  /** The shared world; defaults to a local world persisted in the state dir. */
  readonly world?: World;
  /**
   * Loads a kind that the running graph does not use, for a stored reversal
   * of it (a `file` with `meta: {reverse: true}` left by a graph that had
   * files, when the next graph has none). Without it such reversals wait
   * for a graph that loads the kind.
   */
  readonly kinds?: KindResolver;
  /**
   * False for a one-shot run (one that ends when the graph first converges):
   * no resource is watched or polled, each is checked as soon as its
   * parents allow, and again only when a parent changed or notified it.
   * Default true: every resource is watched and repaired when it drifts.
   */
  readonly watch?: boolean;
  /**
   * The run ends once the graph converges (`--converged-exit`). A watch
   * restarted without limit (`meta.rewatch`, or `retry: -1`) keeps the graph
   * from converging while it is down: one that keeps failing for the
   * converger's quiet time (no start of it stays up that long) then fails its
   * resource for good, as a spent retry budget does, where a run that goes on
   * restarts it for ever. So does a check retried without limit (`retry:
   * -1`) that has failed, with no success between, for the quiet time and at
   * least 5 s. Default false.
   */
  readonly untilConverged?: boolean;
  /** After how long a resource whose watch has not said it is live is warned about; default 30 s. */
  readonly notLiveWarningMs?: number;
}

/** The running graph's shape, as `Engine.topology()` gives it. */
export interface EngineTopology {
  readonly resources: ReadonlyArray<{ id: string; kind: string; name: string; hidden: boolean; group: readonly string[] }>;
  readonly edges: readonly ResolvedEdge[];
}

/** The semaphore id used for global --sema (`:` cannot start a user id). */
const GLOBAL_SEMA_ID = ':global';

/** After this long, a resource whose watch has not said it is live is warned about (it is not checked until then). */
const NOT_LIVE_WARNING_MS = 30_000;

/** How many vertices start between two runs of the queue (see #apply). */
const RUN_EVERY_STARTS = 64;

/** What #apply returns when its caller does not ask (see #apply's `tell`). */
const NO_CHANGES: SwapChanges = { added: [], changed: [], removed: [] };

/** How long checks wait for the inits of kinds with secret sends (see #swapIn) before they run all the same. */
const SECRET_INIT_WAIT_MS = 5_000;

/**
 * Runs one graph: a vertex per resource, started together; convergence is
 * tracked as resources go busy and idle. Stopping is orderly first (no new
 * checkApply, running ones finish), forced on request.
 */
export class Engine {
  readonly converged: EventValue<boolean>;
  /** Bumped on every status change of any resource. */
  readonly changes = new EventValue(0);

  readonly #env: VertexEnv;
  readonly #converger: Converger;
  readonly #stopController = new AbortController();
  #vertices = new Map<string, Vertex>();
  #paused = false;
  #pauseController = new AbortController();
  /** Stop or pause, combined once per pause (AbortSignal.any is costly per run). */
  #waitSignal: AbortSignal;
  #swapQueue: Promise<void> = Promise.resolve();
  /** Reversals that failed, by resource id, until one succeeds: they count as failures. */
  readonly #reversalFailures = new Map<string, EngineError>();
  #edges: ResolvedEdge[] = [];
  #started = false;
  #statusListeners = new Set<(status: ResourceStatus) => void>();
  #reversalListeners = new Set<(reversal: ReversalOutcome) => void>();
  #eventListeners = new Set<EngineEventListener>();
  #stopping: Promise<void> | undefined;
  /** While the resources of a graph start (see VertexEnv.startsPending). */
  #startsPending: Promise<void> | undefined;
  readonly #kinds: KindResolver | undefined;
  readonly #notLiveWarningMs: number;

  constructor(options: EngineOptions) {
    const hostname = options.hostname ?? systemHostname();
    this.#kinds = options.kinds;
    this.#notLiveWarningMs = options.notLiveWarningMs ?? NOT_LIVE_WARNING_MS;
    this.#converger = new Converger(options.convergerTimeout ?? -1);
    this.converged = this.#converger.converged;
    let clock = 0;
    this.#waitSignal = AbortSignal.any([this.#stopController.signal, this.#pauseController.signal]);
    const sema = options.sema ?? 0;
    // The silent default is made on first use: making one costs more than
    // the rest of the engine's construction, and a quiet run never logs.
    let silent: PinoLogger | undefined;
    this.#env = {
      stateDir: options.stateDir,
      hostname,
      world: options.world ?? new LocalWorld(hostname, join(options.stateDir, 'world.json')),
      get logger(): PinoLogger {
        return options.logger ?? (silent ??= pino({ level: 'silent' }));
      },
      noop: options.noop ?? false,
      watch: options.watch ?? true,
      giveUpAfterMs: options.untilConverged === true && (options.convergerTimeout ?? -1) >= 0 ? (options.convergerTimeout ?? 0) * 1000 : undefined,
      globalSema: sema > 0 ? `${GLOBAL_SEMA_ID}:${sema}` : undefined,
      semaphores: new SemaphoreTable(),
      converger: this.#converger,
      checkControllers: new ControllerPool(),
      secrets: new SecretValues(),
      runQueue: new RunQueue((error) => this.#env.logger.error(`internal error in a vertex run: ${(error as Error).stack ?? String(error)}`)),
      refreshes: new RefreshStore(options.stateDir, { readOnly: options.noop ?? false }),
      reversals: new ReversalStore(options.stateDir),
      paused: () => this.#paused,
      waitSignal: () => this.#waitSignal,
      stopSignal: this.#stopController.signal,
      nextTimestamp: () => ++clock,
      statusChanged: (source) => {
        this.changes.set(this.changes.get() + 1);
        if (this.#statusListeners.size === 0 && this.#eventListeners.size === 0) return;
        const current = source.status();
        for (const listener of this.#statusListeners) listener(current);
        this.#emit({ type: 'status', status: current });
      },
      observed: () => this.#eventListeners.size > 0,
      emit: (event) => this.#emit(event),
      startsPending: () => this.#startsPending,
    };
  }

  /**
   * Adds autoedges, checks the whole graph is acyclic, then starts every
   * resource. Throws an EngineError (ERR_CYCLE) before starting anything when
   * autoedges close a cycle. Reversals left by an earlier run for resources
   * this graph no longer has are applied first.
   */
  async start(graph: ResolvedGraph): Promise<void> {
    if (this.#started) throw new EngineError('ERR_INTERNAL', 'this engine was already started');
    this.#started = true;
    const warn = (message: string): void => this.#env.logger.warn(message);
    this.#env.refreshes.load(warn);
    this.#env.reversals.load(warn);
    await this.#enqueue(async () => {
      const plan = planGraph(graph);
      await this.#refreshAfterCrash(plan);
      await this.#reverseLeftovers(graph);
      await this.#apply(graph, plan, false);
    });
  }

  /**
   * Replaces the running graph with `graph`. Resources equal by their kind's
   * `cmp` (and metaparams) keep running untouched; changed ones are replaced,
   * removed ones cleaned up (and reversed with `meta: {reverse: true}`),
   * removals before additions. A graph that does not check out (a cycle made
   * by autoedges) throws before anything changes. Swaps run one at a time.
   */
  async swap(graph: ResolvedGraph): Promise<SwapChanges> {
    if (!this.#started) {
      await this.start(graph);
      return swapChanges([], this.#runningResources(), new Map(), graph.kinds);
    }
    return this.#enqueue(async () => {
      // Reversals that failed before (kept for another try) are tried again on each swap, not only at the next start.
      // Of no running resource: a group's members run in their first member's vertex, and one leaving now is reversed by the swap itself.
      const running = new Set([...this.#vertices.values()].flatMap((vertex) => [vertex.id, ...(vertex.resource.group ?? []).map((member) => member.id)]));
      const earlier = this.#env.reversals
        .all()
        .map((reversal) => reversal.id)
        .filter((id) => !running.has(id));
      const changes = await this.#apply(graph, planGraph(graph), true);
      await this.#reverseLeftovers(graph, new Set(earlier));
      return changes;
    });
  }

  /**
   * `text` with every secret this engine has seen (sent values whose schema
   * says `secret: true`) replaced by the mask: for what a caller shows
   * outside the engine's own errors and log lines, such as an error that
   * escaped every handler.
   */
  maskSecrets(text: string): string {
    return this.#env.secrets.mask(text);
  }

  /** True once stop() was called: a swap asked for now is refused. */
  get isStopping(): boolean {
    return this.#stopController.signal.aborted;
  }

  /** The running graph's resources, a vertex each (with its group). */
  #runningResources(): GroupedResource[] {
    return [...this.#vertices.values()].map((vertex) => vertex.resource);
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#swapQueue.then(work);
    this.#swapQueue = run.then(noResult, noResult);
    return run;
  }

  /** `tell`: what the swap changed is asked for (a first start, whose caller ignores it, skips its cost: a pass over every resource). */
  async #apply(graph: ResolvedGraph, plan: GraphPlan, tell: boolean): Promise<SwapChanges> {
    if (this.#stopController.signal.aborted) throw new EngineError('ERR_INTERNAL', 'the engine is stopping');
    const kept = new Map<string, Vertex>();
    // (Loops over every resource skip what has nothing to do, and walk arrays
    // by index: see the note on Vertex.parents.)
    if (this.#vertices.size > 0) {
      // A resource whose send/recv edges changed is replaced, not kept: what
      // it received must come from its new senders (or, with none, the graph).
      const receives = receivesByTarget(plan.edges);
      for (const [id, resource] of plan.resources) {
        const current = this.#vertices.get(id);
        const definition = graph.kinds.get(resource.kind);
        if (current && definition && current.sameAs(resource, definition) && current.receivesKey() === (receives.get(id) ?? '')) kept.set(id, current);
      }
    }
    const removed = [...this.#vertices.values()].filter((vertex) => kept.get(vertex.id) !== vertex);
    const changes = tell ? swapChanges(this.#runningResources(), plan.resources.values(), kept, graph.kinds) : NO_CHANGES;
    // Busy for the whole swap: while it waits for a resource to realize, and
    // once the removed resources are closed and before their replacements
    // exist, nothing else may be busy, and the graph would be declared
    // converged with the new resources yet to run.
    this.#converger.busy();
    this.#converger.changed();
    try {
      await this.#swapIn(graph, plan, kept, removed);
    } finally {
      this.#converger.idle();
    }
    return changes;
  }

  async #swapIn(graph: ResolvedGraph, plan: GraphPlan, kept: Map<string, Vertex>, removed: Vertex[]): Promise<void> {
    // meta.realize: what the swap removes or replaces converges once first (or fails). Before the pause, which would hold it back.
    const realizing = removed.filter((vertex) => vertex.meta.realize && !vertex.isRealized);
    for (const vertex of realizing) {
      // Said, or a reload that waits for a failing migration would look stuck.
      this.#env.logger.info({ resource: vertex.id }, 'the graph swap waits for it to converge once (meta: {realize: true})');
    }
    await Promise.all(realizing.map((vertex) => vertex.realized()));
    if (this.#stopController.signal.aborted) throw new EngineError('ERR_INTERNAL', 'the engine is stopping');

    // Pause: no checkApply starts until the new graph is wired.
    this.#paused = true;
    // Only a running vertex can hold the wait signal (a first start has none): no abort to make, nor a new signal after it.
    if (this.#vertices.size > 0) this.#pauseController.abort(new Error('a graph swap is under way'));
    try {
      // Only what goes away is stopped, at once: a check of a removed or
      // replaced resource that is still running is aborted (its result would
      // be for a resource that no longer exists). Kept resources are not
      // waited for: a long checkApply (a build, an install) must neither
      // hold back the new graph nor, meanwhile, the repairs of the others.
      if (removed.length > 0) {
        const reason = new Error('removed or replaced by a graph swap');
        for (const vertex of removed) vertex.leaveGraph(reason);
      }
      await Promise.all(removed.map((vertex) => vertex.settled()));
      await Promise.all(removed.map((vertex) => vertex.close()));
      await this.#dropUndeliverableRefreshes(plan);
      // Dependents first (the reverse of the running order): a directory is
      // put back only once the files in it were. A group's members too, here
      // with their vertex: as leftovers after the swap they would come after
      // the folder that holds them, and after the new graph started.
      await this.#reverseInOrder(
        [...removed].reverse().flatMap((vertex) => leavingResources(vertex, graph)),
        graph,
      );
      // A resource back in the graph (a group's member too) has no reversal pending any more that could fail.
      if (this.#reversalFailures.size > 0) for (const id of graph.resources.keys()) this.#reversalFailures.delete(id);
      const next = new Map<string, Vertex>();
      const added: Vertex[] = [];
      const order = plan.order;
      for (let i = 0; i < order.length; i++) {
        const id = order[i] as string;
        const resource = plan.resources.get(id);
        const definition = resource && graph.kinds.get(resource.kind);
        if (!resource || !definition) throw new EngineError('ERR_INTERNAL', `no definition for ${id}`);
        let vertex = kept.get(id);
        if (!vertex) {
          vertex = new Vertex(resource, definition, this.#env);
          const previous = this.#vertices.get(id);
          if (previous) vertex.inheritFrom(previous);
          added.push(vertex);
        }
        next.set(id, vertex);
      }
      const parentsBefore = parentsOf(kept);
      wireEdges(next, plan.edges);
      checkAfterNewParents(kept, parentsBefore);
      this.#vertices = next;
      this.#edges = plan.edges;
      // A kind whose sends are secret (a password) may learn a secret in its
      // init (one saved by an earlier run): until those inits are done, no
      // check runs, or its output (a command's stderr) could show the secret
      // before it is known to be one.
      const holdForSecrets = added.some((vertex) => secretSendKeys(vertex.definition).size > 0);
      if (!holdForSecrets) this.#unpause();
      // A new graph is a change: the quiet time starts again.
      this.#converger.changed();
      if (!holdForSecrets) for (const vertex of kept.values()) vertex.resume();
      const starting: Promise<void>[] = [];
      const secretInits: Promise<void>[] = [];
      let started = 0;
      for (let i = 0; i < added.length; i++) {
        const vertex = added[i] as Vertex;
        const pending = vertex.start();
        if (pending) starting.push(pending);
        if (pending && holdForSecrets && secretSendKeys(vertex.definition).size > 0) secretInits.push(pending);
        // The vertices ready to run (a one-shot run's are ready once
        // started) run every few starts, not after the last one: each is
        // checked while what its start touched is still in the CPU's
        // caches. 10,000 files converge about a sixth sooner.
        if (++started % RUN_EVERY_STARTS === 0) this.#env.runQueue.runQueued();
      }
      if (holdForSecrets) {
        await this.#secretInitsDone(secretInits);
        this.#unpause();
        for (const vertex of next.values()) vertex.resume();
      }
      if (starting.length > 0) {
        const all = Promise.all(starting).then(() => undefined);
        this.#startsPending = all;
        try {
          await all;
        } finally {
          if (this.#startsPending === all) this.#startsPending = undefined;
        }
      }
      this.changes.set(this.changes.get() + 1);
      this.#emit({ type: 'swap', resources: next.size, edges: plan.edges.length });
      if (this.#env.watch && added.length > 0) this.#warnIfNotLive(added);
    } finally {
      if (this.#paused) this.#unpause();
    }
  }

  /**
   * One timer per graph, not per resource: a watch that never calls
   * ctx.event() (a plugin's bug, or a watch stuck setting up) would
   * otherwise leave its resource pending without a word.
   */
  #warnIfNotLive(started: readonly Vertex[]): void {
    const after = this.#notLiveWarningMs;
    // Weakly: a vertex a later swap replaces must not wait for this timer to
    // be collected (QA soak: reloads every second held 25 graphs in the heap).
    const watched = started.map((vertex) => new WeakRef(vertex));
    const timer = setTimeout(() => {
      if (this.#stopController.signal.aborted) return;
      for (const ref of watched) {
        const vertex = ref.deref();
        if (vertex === undefined || !vertex.waitsForWatch || this.#vertices.get(vertex.id) !== vertex) continue;
        // In the user's words (QA: it spoke of ctx.event() to a user whose kv waited for etcd).
        const what = vertex.watchWaitsFor;
        this.#env.logger.warn(
          { resource: vertex.id },
          what === undefined
            ? `not checked yet after ${after / 1000} s: its watch has not started; it is checked once it has (a watch that never starts is a bug of the plugin that provides '${vertex.resource.kind}')`
            : `not checked yet after ${after / 1000} s: waiting for ${this.#env.secrets.mask(what)}`,
        );
      }
    }, after);
    // Never what keeps the process running.
    timer.unref();
  }

  /** Waits for the inits of kinds with secret sends, at most SECRET_INIT_WAIT_MS (then says so): a hung init must not hold the graph. */
  async #secretInitsDone(inits: readonly Promise<void>[]): Promise<void> {
    if (inits.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), SECRET_INIT_WAIT_MS)));
    const timedOut = await Promise.race([Promise.allSettled(inits).then(() => false), late]);
    clearTimeout(timer);
    if (timedOut) {
      this.#env.logger.warn(`resources with secrets are still starting after ${SECRET_INIT_WAIT_MS / 1000} s; the others run now, and a secret those know is masked only once their start is done`);
    }
  }

  #unpause(): void {
    this.#paused = false;
    if (!this.#pauseController.signal.aborted) return;
    this.#pauseController = new AbortController();
    this.#waitSignal = AbortSignal.any([this.#stopController.signal, this.#pauseController.signal]);
  }

  /**
   * Pending refreshes that no notify edge of `plan` leads to: their receiver
   * left the graph, or every notify edge into it did. Dropped, and said: the
   * record is kept on disk so that a crash cannot lose a refresh, not so
   * that a resource removed on purpose (or another graph's resource of the
   * same name, run later on this state directory) runs for a change it no
   * longer follows: a `refreshonly` restart would fire with no notifier.
   */
  async #dropUndeliverableRefreshes(plan: GraphPlan): Promise<void> {
    const pending = this.#env.refreshes.pendingIds();
    if (pending.length === 0) return;
    // A refresh is kept by vertex: a group's under its first member. Grouped
    // otherwise now (another first member, members apart), it belongs to
    // each vertex that holds one of the resources it was kept for: which
    // member was notified is not known, and a spare refresh is safer than a
    // lost one.
    const vertexOf = new Map<string, string>();
    for (const [id, resource] of plan.resources) for (const member of resource.group ?? []) vertexOf.set(member.id, id);
    const notified = new Set<string>();
    for (const edge of plan.edges) if (edge.notify) notified.add(edge.to);
    const dropping = this.#env.noop ? 'would drop (noop)' : 'dropped';
    for (const id of pending) {
      // The running graph's group of `id` (a refresh left by an earlier run has only its own id).
      const keptFor = [id, ...(this.#vertices.get(id)?.resource.group ?? []).map((member) => member.id)];
      const holders = new Set(keptFor.map((member) => vertexOf.get(member) ?? member).filter((holder) => notified.has(holder)));
      if (holders.size > 0 && !(holders.size === 1 && holders.has(id))) {
        for (const holder of holders) if (holder !== id) await this.#env.refreshes.set(holder);
        if (!holders.has(id)) await this.#env.refreshes.clear(id);
        continue;
      }
      if (notified.has(id)) continue;
      await this.#env.refreshes.clear(id);
      const why = plan.resources.has(vertexOf.get(id) ?? id) ? 'no notify edge leads to it any more' : 'it is no longer in the graph';
      this.#env.logger.info({ resource: id }, `${dropping} the refresh pending for it: ${why}`);
    }
  }

  /**
   * A sender that was in the middle of a checkApply when an earlier run
   * crashed may have changed something: its notify receivers get a refresh.
   */
  async #refreshAfterCrash(plan: GraphPlan): Promise<void> {
    for (const sender of this.#env.refreshes.leftIntents()) {
      for (const edge of plan.edges) {
        if (edge.from === sender && edge.notify) await this.#env.refreshes.set(edge.to);
      }
      await this.#env.refreshes.clearIntent(sender);
    }
  }

  /**
   * Applies stored reversals of resources that are not in `graph` (left by an
   * earlier run, or by a reversal that failed), dependents first as far as
   * paths tell (longer paths are reversed first: a file before its folder).
   */
  async #reverseLeftovers(graph: ResolvedGraph, only?: ReadonlySet<string>): Promise<void> {
    const leftovers = this.#env.reversals
      .all()
      .filter((reversal) => isLeftover(reversal, graph) && (!only || only.has(reversal.id)))
      .sort((a, b) => reversalPath(b).length - reversalPath(a).length);
    const loaded: { id: string; definition: AnyResourceDefinition }[] = [];
    for (const reversal of leftovers) {
      const definition = graph.kinds.get(reversal.kind) ?? (await this.#loadKind(reversal.kind));
      if (definition) loaded.push({ id: reversal.id, definition });
      else this.#env.logger.warn({ resource: reversal.id }, `kept the reversal for later: kind '${reversal.kind}' is not loaded by this graph`);
    }
    await this.#reverseInOrder(loaded, graph);
  }

  /**
   * Stored reversals, one after the other in the order given (what is inside
   * a folder before the folder); `graph` is the one being run. One whose
   * thing (a file's path) a resource of `graph` of another name manages is
   * not put back but passed to that one (a rename), after the others (one
   * of which may be that resource's own, for the path it left).
   */
  async #reverseInOrder(resources: readonly { readonly id: string; readonly definition: AnyResourceDefinition }[], graph: ResolvedGraph): Promise<void> {
    // In a dry run nothing inside a folder is really put back first, so the folder's own check may fail for that alone.
    const wouldPutBack: string[] = [];
    const passing: { readonly id: string; readonly to: ResolvedResource; readonly definition: AnyResourceDefinition }[] = [];
    const successors = new Successors(graph);
    for (const { id, definition } of resources) {
      const reversal = this.#env.reversals.get(id);
      const to = reversal === undefined ? undefined : successors.of(reversal, graph.kinds.get(reversal.kind) ?? definition);
      if (to !== undefined) {
        passing.push({ id, to, definition: graph.kinds.get(to.kind) ?? definition });
        continue;
      }
      const path = reversal === undefined ? undefined : reversalPath(reversal);
      const afterInner = path !== undefined && holdsOnly(path, wouldPutBack);
      const outcome = await this.#reverse(id, definition, graph, afterInner);
      if (outcome === 'would put back' && path !== undefined) wouldPutBack.push(path);
    }
    for (const { id, to, definition } of passing) await this.#passOn(id, to, definition);
  }

  /**
   * A stored reversal whose thing `to`, a resource of the graph being run,
   * manages now (the same kind and identity under another name): nothing is
   * put back (a rename must not flap the file, nor refresh what it
   * notifies); the record passes to `to`, kept until `to` leaves the graph
   * in turn, whether `to` has `meta: {reverse: true}` or not (as when a
   * resource turns `reverse` off). When `to` holds a record of that thing
   * already, that one, older, stays. A dry run changes no record.
   */
  async #passOn(id: string, to: ResolvedResource, definition: AnyResourceDefinition): Promise<void> {
    const reversal = this.#env.reversals.get(id);
    if (!reversal) return;
    this.#reversalFailures.delete(id);
    const store = this.#env.reversals;
    const held = store.get(to.id);
    if (held !== undefined && !sameThing(definition, held, reversal)) {
      // `to`'s own record is for what it managed before, and failed to be put back: this one waits for that.
      this.#env.logger.info({ resource: id }, `not put back: ${to.id} manages the same thing now; what to put back stays stored until ${to.id} no longer holds another reversal`);
      return;
    }
    if (this.#env.noop) {
      this.#env.logger.info({ resource: id }, `would not put back: ${to.id} manages the same thing now, and would put it back when it leaves the graph (noop)`);
      return;
    }
    // Saved before the old one goes: a crash in between leaves two records of one thing, and the next start keeps `to`'s.
    if (held === undefined) await store.save({ id: to.id, kind: to.kind, name: to.name, params: reversal.params });
    await store.delete(id);
    this.#env.logger.info({ resource: id }, `not put back: ${to.id} manages the same thing now, and puts it back when it leaves the graph`);
  }

  /** A kind through the `kinds` option, or undefined (no resolver, or it cannot be loaded: logged). */
  async #loadKind(kind: string): Promise<AnyResourceDefinition | undefined> {
    if (!this.#kinds) return undefined;
    try {
      return await this.#kinds.resolve(kind);
    } catch (error) {
      this.#env.logger.warn(`kind '${kind}' could not be loaded for a stored reversal: ${(error as Error).message}`);
      return undefined;
    }
  }

  /**
   * Puts back (or, in a dry run, checks) one stored reversal. `afterInner`:
   * in a dry run, reversals of things inside this one's path would be put
   * back first, so a failed check of this one is told as "would put back"
   * (a folder that would be empty by then), not as a failure.
   */
  async #reverse(id: string, definition: AnyResourceDefinition, graph: ResolvedGraph, afterInner = false): Promise<ReversalOutcome['outcome'] | undefined> {
    const reversal = this.#env.reversals.get(id);
    if (!reversal) return undefined;
    const peers = graphPeers(graph, reversal.kind);
    try {
      // Noop changes nothing, reversals included: the reversal stays stored for a real run.
      if (this.#env.noop) return await this.#checkReversal(reversal, definition, peers, afterInner);
      await applyReversal(reversal, definition, this.#env, peers);
      await this.#env.reversals.delete(id);
      this.#reversalFailures.delete(id);
      this.#env.logger.info({ resource: id }, 'reversed: put back what was there before');
      this.#toldReversal({ id, outcome: 'reversed' });
      return 'reversed';
    } catch (error) {
      // The kind's own hint says what stops it (a folder someone filled); then how it is tried again (see swap and start).
      const fix = isEngineError(error) && error.hint !== undefined ? error.hint : 'fix what stops it';
      const failure = this.#env.secrets.maskError(
        // A dry run tried nothing: it tells what the real run would meet.
        new EngineError('ERR_RESOURCE_CHECK_APPLY', `${this.#env.noop ? 'reversal would fail' : 'reversal failed (kept for another try)'}: ${(error as Error).message}`, {
          resource: id,
          phase: 'checkApply',
          hint: this.#env.noop
            ? `${fix}, or the real run fails the same way`
            : `${fix}; then reload the graph (SIGHUP, or save the graph file) or start converge again: a kept reversal is tried again at each, until it is done or its record is removed from the state dir`,
        }),
      );
      this.#reversalFailures.set(id, failure);
      // With its code and hint, as a resource's failure is logged.
      this.#env.logger.error({ resource: id, code: failure.code, ...(failure.hint === undefined ? {} : { hint: failure.hint }) }, failure.message);
      this.#toldReversal({ id, outcome: 'failed', error: failure });
      return 'failed';
    }
  }

  /**
   * A dry run's check of one stored reversal: told as would put back, with
   * what it would do, unless it is in place; a failed check throws, unless
   * it is `afterInner` (see #reverse).
   */
  async #checkReversal(
    reversal: StoredReversal,
    definition: AnyResourceDefinition,
    peers: readonly Readonly<Record<string, unknown>>[],
    afterInner: boolean,
  ): Promise<'would put back' | undefined> {
    const { id } = reversal;
    const checked = await checkReversal(reversal, definition, this.#env, peers, afterInner);
    if (checked.failure !== undefined && !afterInner) throw checked.failure;
    if (checked.inPlace) return undefined;
    if (checked.failure === undefined) this.#env.logger.warn({ resource: id }, 'would put back what was there before (noop)');
    else {
      const reason = this.#env.secrets.mask((checked.failure as Error).message);
      this.#env.logger.warn({ resource: id }, `would put back what was there before, after what is inside it (noop; checked alone it says: ${reason})`);
    }
    this.#toldReversal({ id, outcome: 'would put back', ...(checked.change === undefined ? {} : { change: this.#env.secrets.mask(checked.change) }) });
    return 'would put back';
  }

  /**
   * The running graph's shape without params (which may hold secrets): each
   * vertex with the ids grouped into it, and every edge (autoedges included).
   */
  topology(): EngineTopology {
    return {
      resources: [...this.#vertices.values()].map((vertex) => ({
        id: vertex.id,
        kind: vertex.kind,
        name: vertex.name,
        hidden: vertex.meta.hidden,
        group: (vertex.resource.group ?? []).map((child) => child.id),
      })),
      edges: this.#edges.map(({ from, to, notify, origin, send, recv }) => ({
        from,
        to,
        notify,
        origin,
        ...(send === undefined ? {} : { send }),
        ...(recv === undefined ? {} : { recv }),
      })),
    };
  }

  /** Every edge of the running graph, autoedges included. */
  edges(): readonly ResolvedEdge[] {
    return this.#edges;
  }

  /** Resolves once the graph is converged (never with a converger timeout of -1). */
  async whenConverged(signal?: AbortSignal): Promise<void> {
    await this.converged.when((converged) => converged, signal);
  }

  /** Every resource's status; grouped resources share their group's. */
  statuses(): ResourceStatus[] {
    return [...this.#vertices.values()].flatMap((vertex) => vertex.statuses());
  }

  /**
   * Calls `listener` with a resource's new status each time one changes
   * state (O(1) per change, unlike polling `statuses()`). Returns the
   * function that removes the listener.
   */
  onStatus(listener: (status: ResourceStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Each reversal of a resource that left the graph (`meta: {reverse: true}`), as it is tried. */
  onReversal(listener: (reversal: ReversalOutcome) => void): () => void {
    this.#reversalListeners.add(listener);
    return () => this.#reversalListeners.delete(listener);
  }

  #toldReversal(reversal: ReversalOutcome): void {
    for (const listener of this.#reversalListeners) listener(reversal);
  }

  /**
   * Every engine event (status changes, checkApply runs with durations,
   * watch events, swaps), for metrics and live views. A listener that throws
   * is removed. Returns the function that removes the listener.
   */
  onEvent(listener: EngineEventListener): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  #emit(event: EngineEvent): void {
    for (const listener of this.#eventListeners) {
      try {
        listener(event);
      } catch (error) {
        this.#eventListeners.delete(listener);
        this.#env.logger.warn(`an engine event listener failed and was removed: ${(error as Error).message}`);
      }
    }
  }

  /** Resources that failed for good, and reversals that failed (of resources no longer in the graph). */
  failures(): EngineError[] {
    const failed = [...this.#vertices.values()].flatMap((vertex) => (vertex.failure ? [vertex.failure] : []));
    return [...failed, ...this.#reversalFailures.values()];
  }

  runningCalls(): string[] {
    return this.runningChecks().map((call) => call.text);
  }

  /** The checkApply calls under way, each with its resource's id: `{id, text: "id: checkApply running for N s"}`. */
  runningChecks(): Array<{ readonly id: string; readonly text: string }> {
    return [...this.#vertices.values()].flatMap((vertex) => {
      const text = vertex.runningCall();
      return text === undefined ? [] : [{ id: vertex.id, text }];
    });
  }

  /**
   * Orderly stop: no checkApply starts any more, running ones may finish,
   * then every watch is ended and every resource cleaned up. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopController.abort(new Error('the engine is stopping'));
      // Each resource ends its watch and is cleaned up as soon as its own run
      // is over: an idle one's watch (a watchcmd) does not wait for another's long change.
      await Promise.all(
        [...this.#vertices.values()].map(async (vertex) => {
          await vertex.settled();
          await vertex.close();
        }),
      );
      this.#converger.close();
    })();
    return this.#stopping;
  }

  /** Forced stop: aborts the running checkApply calls now. */
  abort(): void {
    const reason = new Error('aborted by a forced stop');
    for (const vertex of this.#vertices.values()) vertex.abortCheck(reason);
    void this.stop();
  }

  /** Third signal: interruptable resources break out of their work at once. */
  interrupt(): void {
    for (const vertex of this.#vertices.values()) vertex.interrupt();
    this.abort();
  }
}

/** The swap queue waits for a swap, whatever it returned or threw. */
function noResult(): void {}

/** Each kept vertex's parents, before a swap rewires them. */
function parentsOf(kept: ReadonlyMap<string, Vertex>): Map<Vertex, Set<Vertex>> {
  const before = new Map<Vertex, Set<Vertex>>();
  for (const vertex of kept.values()) before.set(vertex, new Set(vertex.parents.map((edge) => edge.from)));
  return before;
}

/**
 * A kept resource that the swap gave a parent (a new edge, or a parent
 * replaced) is checked once more, after it: a child waits for a parent
 * that has not run since its own last run, and runs at once after one
 * that has. Ordered by the old graph (or not at all), the parent may have
 * run last: then the child ran first at every event that reached both,
 * the new edge notwithstanding (QA). One check after the parent puts the
 * order back; it changes nothing that is in order (an exec runs its
 * command only after an event).
 */
function checkAfterNewParents(kept: ReadonlyMap<string, Vertex>, before: ReadonlyMap<Vertex, ReadonlySet<Vertex>>): void {
  for (const vertex of kept.values()) {
    const had = before.get(vertex);
    if (vertex.parents.some((edge) => !had?.has(edge.from))) vertex.markDirty();
  }
}

/** The send/recv edges into each resource, as Vertex.receivesKey writes them. */
function receivesByTarget(edges: readonly ResolvedEdge[]): Map<string, string> {
  const byTarget = new Map<string, string[]>();
  for (const edge of edges) {
    if (edge.send === undefined || edge.recv === undefined) continue;
    const keys = byTarget.get(edge.to) ?? [];
    keys.push(receiveKey(edge.from, edge.send, edge.recv));
    byTarget.set(edge.to, keys);
  }
  return new Map([...byTarget].map(([to, keys]) => [to, keys.sort().join('\n')]));
}

/**
 * Whether the folder at `path` holds something, and nothing but what the
 * given reversals put back (their paths, either may end with a slash): in
 * a dry run, it would be empty once they ran. A path that is not a folder
 * one can list holds nothing so known.
 */
function holdsOnly(path: string, puttingBack: readonly string[]): boolean {
  const folder = path.replace(/\/+$/, '');
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return false;
  }
  const inner = new Set(puttingBack.filter((candidate) => isInside(candidate, folder)).map((candidate) => candidate.replace(/\/+$/, '')));
  return entries.length > 0 && entries.every((entry) => inner.has(`${folder}/${entry}`));
}

/** Whether `inner` lies below the folder `outer` (either may end with a slash). */
function isInside(inner: string, outer: string): boolean {
  const folder = outer.replace(/\/+$/, '');
  return inner.startsWith(`${folder}/`) && inner.replace(/\/+$/, '') !== folder;
}

/**
 * The params of `kind`'s resources in `graph`: a reversal runs before they
 * start (or while they are swapped in), so it learns what they will manage
 * from the graph, not from the running resources.
 */
function graphPeers(graph: ResolvedGraph, kind: string): Readonly<Record<string, unknown>>[] {
  return [...graph.resources.values()].filter((resource) => resource.kind === kind).map((resource) => resource.params);
}

/** What a stored reversal is about, for ordering: its path param when it has one (files), else its name. */
function reversalPath(reversal: { readonly name: string; readonly params: Readonly<Record<string, unknown>> }): string {
  return typeof reversal.params.path === 'string' ? reversal.params.path : reversal.name;
}

/**
 * The resources of a vertex a swap removes or replaces whose reversal is due
 * (when one is stored): each member of its group on its own (a member may
 * leave while the others stay), when it leaves `graph` or stays by name but
 * manages another thing (a file resource whose `path` changed): what it
 * changed is put back, as if it had been removed, and the new one records
 * its own "before".
 */
function leavingResources(vertex: Vertex, graph: ResolvedGraph): { id: string; definition: AnyResourceDefinition }[] {
  const leaving: { id: string; definition: AnyResourceDefinition }[] = [];
  for (const resource of [vertex.resource, ...(vertex.resource.group ?? [])]) {
    const next = graph.resources.get(resource.id);
    const moves = next !== undefined && next.kind === resource.kind && managesAnotherThing(vertex.definition, resource.params, next.params);
    if (next === undefined || moves) leaving.push({ id: resource.id, definition: vertex.definition });
  }
  return leaving;
}

/**
 * A stored reversal whose resource is not in `graph`, or is there by name
 * but now manages another thing (a file whose `path` changed between runs).
 */
function isLeftover(reversal: { readonly id: string; readonly kind: string; readonly params: Record<string, unknown> }, graph: ResolvedGraph): boolean {
  const resource = graph.resources.get(reversal.id);
  const definition = graph.kinds.get(reversal.kind);
  return !resource || (definition !== undefined && managesAnotherThing(definition, reversal.params, resource.params));
}

/**
 * The resources of a graph by kind and identity (a file's path), each kind
 * indexed at its first question: 10,000 reversals must not each walk
 * 10,000 resources.
 */
class Successors {
  readonly #byKind = new Map<string, Map<string, ResolvedResource>>();

  constructor(private readonly graph: ResolvedGraph) {}

  /** The resource, under another id, that manages what `reversal` puts back: of its kind, with the same identity. */
  of(reversal: StoredReversal, definition: AnyResourceDefinition): ResolvedResource | undefined {
    const identity = definition.identity;
    if (identity === undefined) return undefined;
    const thing = identity(reversal.params, reversal.name);
    if (thing === undefined) return undefined;
    const resource = this.#index(reversal.kind, identity).get(thing);
    return resource?.id === reversal.id ? undefined : resource;
  }

  #index(kind: string, identity: NonNullable<AnyResourceDefinition['identity']>): Map<string, ResolvedResource> {
    let index = this.#byKind.get(kind);
    if (index) return index;
    index = new Map();
    for (const resource of this.graph.resources.values()) {
      if (resource.kind !== kind) continue;
      const thing = identity(resource.params, resource.name);
      if (thing !== undefined && !index.has(thing)) index.set(thing, resource);
    }
    this.#byKind.set(kind, index);
    return index;
  }
}

/** Whether two stored reversals of one kind put back the same thing (a file's path). */
function sameThing(definition: AnyResourceDefinition, a: StoredReversal, b: StoredReversal): boolean {
  const identity = definition.identity;
  return identity !== undefined && identity(a.params, a.name) === identity(b.params, b.name);
}

/** True when the kind's identity (a file's path) of `before` and `after` differ; a kind without identity never moves. */
function managesAnotherThing(definition: AnyResourceDefinition, before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): boolean {
  const identity = definition.identity;
  return identity !== undefined && identity(before) !== identity(after);
}
