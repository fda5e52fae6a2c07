import { isDeepStrictEqual } from 'node:util';
import {
  EngineError,
  isEngineError,
  type AnyResourceDefinition,
  type MetaParams,
  type ReceivedValue,
  type ResourceInstance,
} from '@converge/engine-api';
import type { GroupedResource } from '../graph/autogroup.js';
import { describeChange } from './change-description.js';
import { CheckCall } from './check-call.js';
import { changesAwaited, checkFailure, maskedCheckError, wouldChangeAfterMessage } from './check-failure.js';
import { processWithWaits, retryAfterDelay, type CheckWithWaitsHost } from './check-with-waits.js';
import { GroupMembers } from './group-members.js';
import { callResource, guardedNow, isThenable, resourceError } from './resource-call.js';
import { EngineResourceContext, type ContextHost } from './resource-context.js';
import { checkedResult, createInstance } from './plugin-returns.js';
import { sendMisfit } from './send-check.js';
import { membersTag } from './log-adapter.js';
import { EventValue } from './event-value.js';
import { RateLimiter } from './rate-limiter.js';
import { Retries } from './retries.js';
import { RepeatedFailure } from './repeated-failure.js';
import type { ReversalSubject } from './reversal-steps.js';
import { ResourceWatch } from './resource-watch.js';
import { receivedProblem } from './received-check.js';
import { sameParams } from './resource-equality.js';
import type { ResourceState, ResourceStatus } from './status.js';
import type { VertexEnv } from './vertex-env.js';
import { NO_KEYS, NOTHING_RECEIVED, NOTHING_SENT, noteSentSecrets, receiveInto, receivedParamsOf, receivesKeyOf } from './vertex-receive.js';
import { failureAsMember, logForChangedMembers, memberStatus, wouldChangeForMembers } from './vertex-status.js';

type Instance = ResourceInstance<Record<string, unknown>, Record<string, unknown>>;

/** An edge as a vertex sees it from its child's side. */
export interface InEdge {
  readonly from: Vertex;
  readonly notify: boolean;
  readonly send?: string;
  readonly recv?: string;
}

/** An edge as a vertex sees it from its parent's side. */
export interface OutEdge {
  readonly to: Vertex;
  readonly notify: boolean;
}

/**
 * One resource of the running graph: its watch loop and a single-flight
 * process loop. Events mark it dirty; it runs checkApply only once every
 * parent has run since its own last run (timestamps), pokes its children
 * afterwards, and pokes idle parents that are behind (backpoke), as mgmt
 * does. Pokes that arrive while it runs coalesce into one more run.
 */
export class Vertex implements ContextHost {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly definition: AnyResourceDefinition;
  readonly meta: MetaParams;
  /** The resource as the graph gave it (params before any send/recv), with its group. */
  readonly resource: GroupedResource;
  /** Owned by the engine: send/recv writes received values into it. */
  readonly params: Record<string, unknown>;
  // The paths every run takes walk these with index loops, not for-of: a
  // one-shot run is over before V8 optimizes them, and unoptimized for-of
  // makes an iterator and a result object per loop and step (a tenth of
  // the garbage of an idempotent run of 1,000 files).
  readonly parents: InEdge[] = [];
  readonly children: OutEdge[] = [];
  /** Set when this vertex last ran checkApply successfully; 0 = never. */
  timestamp = 0;
  /** Values this vertex sent in its last successful checkApply. */
  sent: Readonly<Record<string, unknown>> = NOTHING_SENT;

  readonly #env: VertexEnv;
  #instance: Instance | undefined;
  #state: ResourceState = 'pending';
  #lastError: EngineError | undefined;
  /**
   * The failure last logged as an error, until the vertex succeeds: the
   * same failure found again (an event right after it, a poll) is logged at
   * debug level, as stdout tells it once.
   */
  #loggedFailure: string | undefined;
  /** When this vertex began to wait for a parent busy with a run of its own (0: it does not); see #pokeParentsBehind. */
  #busyWaitSince = 0;
  #checks = 0;
  #changes = 0;
  /** The resources grouped into this vertex (autogroup), with what each is told; undefined without a group. */
  readonly #members: GroupMembers | undefined;
  #dirty = false;
  /** The process loop's pending part, when a step of it did not finish at once. */
  #running: Promise<void> | undefined;
  /** True from the start of a run loop to its end (set before its first await). */
  #active = false;
  /** Init failed or the watch died: this vertex can never run again. */
  #fatal = false;
  /**
   * Init has finished and the watch is live (its first event came), or the
   * resource is polled or not watched: runs wait for it (a backpoke from a
   * child may come earlier). As in mgmt, no checkApply before the watch
   * runs: a check made earlier would be followed by the watch's first
   * event, and a second run, of a command for instance.
   */
  #ready = false;
  /** What its watch said it waits for before it is live (see ResourceContext.waitingFor). */
  #watchWaitsFor: string | undefined;
  #initDone = false;
  /** Noop: the last check found something it would change (and said so). */
  #wouldChange = false;
  /** This dry run's check is owed the refresh a parent's change would bring (see #process). */
  #dryRunRefresh = false;
  /** Waiting for parents it has already poked: a backpoke adds nothing. */
  #waiting = false;
  #busy = true;
  #down = false;
  #closed = false;
  /** Removed or replaced by a graph swap (see leaveGraph). */
  #leaving = false;
  /** Made at the first failure (or swap) that needs it: most vertices never fail, and a one-shot run of thousands makes none (see #retries). */
  #retriesMade: Retries | undefined;
  /** Whether a retry's failure is news (see RepeatedFailure): forgotten on a success, and on a block, which is told in between. Made at the first failure. */
  #retryFailuresMade: RepeatedFailure | undefined;
  #staged: Record<string, unknown> | undefined;
  /** What a ctx.send of the check under way broke (see stageSend). */
  #sendMisfit: EngineError | undefined;
  /** The send keys of the last successful checkApply (a dry run's included). */
  #sentInLastCheck: ReadonlySet<string> = NO_KEYS;
  /** The refresh store's sentCount for this vertex when its last check began: refreshes sent later are not cleared by it. */
  #refreshesSeen = 0;
  #received: ReadonlyMap<string, ReceivedValue> = NOTHING_RECEIVED;
  #limiter: RateLimiter | undefined;
  #watch: ResourceWatch | undefined;
  /** Its watch failed and is to start again (see #watchRestarting): the converger is kept busy meanwhile. */
  #watchDown = false;
  /** Why its watch failed last, while a restart is to come: a stop meanwhile fails the vertex with it (see close). */
  #watchFailure: EngineError | undefined;
  readonly #call = new CheckCall();
  /** This vertex has recorded its reversal, or extended a stored one to what it manages now (meta.reverse). */
  #reversalChecked = false;
  /** Made only when a swap waits (see realized()): true once this vertex converged once, or never can. */
  #realizedOnce: EventValue<boolean> | undefined;
  /** Made the first time a run waits (see #checkWithWaits). */
  #waitsHost: CheckWithWaitsHost | undefined;

  constructor(resource: GroupedResource, definition: AnyResourceDefinition, env: VertexEnv) {
    this.id = resource.id;
    this.kind = resource.kind;
    this.name = resource.name;
    this.definition = definition;
    this.meta = resource.meta;
    this.resource = resource;
    // Shallow: send/recv only ever replaces top-level params.
    this.params = { ...resource.params };
    this.#env = env;
    this.#members = resource.group !== undefined && resource.group.length > 0 ? new GroupMembers(resource.group) : undefined;
    if (Number.isFinite(resource.meta.limit)) this.#limiter = new RateLimiter(resource.meta.limit, resource.meta.burst);
    env.converger.busy();
  }

  /** Its retry budget: a fresh one holds nothing a later one would not (see #retriesMade). */
  get #retries(): Retries {
    return (this.#retriesMade ??= new Retries(this.meta, this.#env.giveUpAfterMs));
  }

  get #retryFailures(): RepeatedFailure {
    return (this.#retryFailuresMade ??= new RepeatedFailure());
  }

  /**
   * Resolves once this vertex has converged once, or can no longer (failed
   * for good, blocked, closed): what a swap waits for under `meta.realize`.
   */
  realized(): Promise<void> {
    if (this.isRealized) return Promise.resolve();
    this.#realizedOnce ??= new EventValue(false);
    return this.#realizedOnce.when((realized) => realized).then(() => undefined);
  }

  /** Converged once, or never can (failed for good, blocked, closed). */
  get isRealized(): boolean {
    return this.timestamp > 0 || this.#down || this.#fatal || this.#closed;
  }

  #wakeRealizedWaiters(): void {
    if (this.#realizedOnce && this.isRealized) this.#realizedOnce.set(true);
  }

  get state(): ResourceState {
    return this.#state;
  }

  /** Started and watched, but its watch has not said it is live (its first event): not checked yet. */
  get waitsForWatch(): boolean {
    return this.#initDone && !this.#ready && !this.#fatal && !this.#closed && this.#watch !== undefined;
  }

  /** Failed for good or blocked: its dependents must not run. */
  get isDown(): boolean {
    return this.#down;
  }

  /** Who to name when it is down: the first failed member of its group when its error names members, else itself. */
  get downMemberId(): string {
    const member = this.#lastError && this.#members?.namedIn(this.#lastError);
    return member?.id ?? this.id;
  }

  /** This vertex's status, and the same for each resource grouped into it (see memberStatus). */
  statuses(): ResourceStatus[] {
    const group = this.resource.group ?? [];
    if (group.length === 0) return [this.status()];
    return [this.status(), ...group.map((_, index) => this.#memberStatus(index + 1))];
  }

  /** The status of a member of this vertex's group (0 = the resource itself). */
  #memberStatus(position: number): ResourceStatus {
    return memberStatus(this.#ownStatus(), this.#members, position);
  }

  status(): ResourceStatus {
    return this.#memberStatus(0);
  }

  #ownStatus(): ResourceStatus {
    return {
      id: this.id,
      kind: this.kind,
      name: this.name,
      state: this.#state,
      hidden: this.meta.hidden,
      noop: this.#env.noop || this.meta.noop,
      checks: this.#checks,
      changes: this.#changes,
      ...(this.#wouldChange ? { wouldChange: true } : {}),
      ...(this.#watchDown && this.#watchFailure ? { watchDown: this.#watchFailure } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  /**
   * The error that put this vertex down, when it failed for good; told as
   * the first member's of its group it names (EngineError.members), when
   * it does not name the resource itself.
   */
  get failure(): EngineError | undefined {
    return failureAsMember(this.#state === 'failed' ? this.#lastError : undefined, this.#members);
  }

  /** "id: checkApply running for N s", when a checkApply is under way. */
  runningCall(): string | undefined {
    if (!this.#call.running) return undefined;
    const seconds = (this.#call.elapsedMs() / 1000).toFixed(1);
    return `${this.id}: checkApply running for ${seconds} s`;
  }

  /**
   * Creates and inits the resource, then starts its watch (or poll). Returns
   * a promise only when init does not finish at once: a graph of thousands
   * of resources starts without a promise per resource.
   */
  start(): Promise<void> | undefined {
    if (this.meta.hidden) {
      // mgmt's hidden: in the graph (edges order around it, it is exported),
      // but not run on this host. No instance: nothing is created, watched or checked.
      this.#initDone = true;
      this.#readyNow();
      return undefined;
    }
    let instance: Instance;
    try {
      instance = createInstance(this.definition, this.params, this.id);
      this.#instance = instance;
      const group = this.resource.group ?? [];
      if (group.length > 0) {
        if (!instance.group) throw new Error(`kind '${this.kind}' is groupable but its instances take no group`);
        instance.group(group.map((child) => structuredClone(child.params)));
      }
    } catch (error) {
      this.#failForGood(resourceError(this.id, 'init', error), true);
      return undefined;
    }
    if (!instance.init) return this.#initialised();
    let pending: Promise<void> | void;
    if (this.meta.timeout > 0) {
      const init = (): Promise<void> | void => instance.init?.(new EngineResourceContext(this, this.#env));
      pending = callResource(this.id, 'init', init, this.meta.timeout, new AbortController());
    } else {
      // callResourceNow's work, without a closure per resource.
      try {
        pending = guardedNow(this.id, 'init', instance.init(new EngineResourceContext(this, this.#env)));
      } catch (thrown) {
        this.#failForGood(resourceError(this.id, 'init', thrown), true);
        return undefined;
      }
    }
    if (!isThenable(pending)) return this.#initialised();
    return pending.then(
      () => this.#initialised(),
      (error: unknown) => this.#failForGood(error as EngineError, true),
    );
  }

  #initialised(): undefined {
    if (this.#closed) return undefined;
    this.#initDone = true;
    const instance = this.#instance;
    if (!instance) return undefined;
    if (!this.#env.watch || this.meta.poll < 0) {
      // A one-shot run watches and polls nothing: ready at once, no watch
      // object per vertex. meta: {poll: -1} (mgmt: run once) asks the same of one resource.
      this.#readyNow();
      return undefined;
    }
    this.#watch = new ResourceWatch(
      {
        id: this.id,
        meta: this.meta,
        giveUpAfterMs: this.#env.giveUpAfterMs,
        readyNow: () => this.#readyNow(),
        poke: () => this.poke(),
        watchDied: (error) => {
          if (this.#closed) return;
          this.#failForGood(error, true);
          this.#watchBack();
          // A check under way (the watch's first event started it) would
          // change things for a resource that has failed for good: a command
          // run after its failure was told. Aborted: its process group goes.
          this.#call.abortSignal(error);
        },
        restarting: (error) => this.#watchRestarting(error),
        log: (level, message) => this.#log(level, message),
      },
      instance,
      this.#env.watch,
    );
    this.#watch.start();
    return undefined;
  }

  /** Nothing to wait for before the first run (not watched, polled, or a kind without a watch). */
  #readyNow(): void {
    this.#ready = true;
    this.poke();
  }

  /** From the resource's watch: what it waits for before it can be live. */
  watchWaitingFor(what: string | undefined): void {
    this.#watchWaitsFor = what === undefined || what.trim() === '' ? undefined : what;
  }

  /** What its watch waits for, when it is not live yet and said (see waitsForWatch). */
  get watchWaitsFor(): string | undefined {
    return this.waitsForWatch ? this.#watchWaitsFor : undefined;
  }

  /** From the resource's watch: live now, and something may have changed. */
  watchEvent(): void {
    if (this.#initDone) this.#ready = true;
    this.poke();
    // After the poke, which made it busy: the converger never sees it idle in between. Not while a
    // failed watch waits to start again: a check's own event (a command that ran) is not the new
    // watch's (QA: a run under retry was declared converged before the restart, and exited 0).
    if (this.#watchDown && !this.#watch?.restartPending) {
      // The restarted watch is live: a change, so the quiet time starts again, and a watch that
      // dies soon after (a command that exits at once) is seen before the graph counts as converged
      // (QA: a --converged-exit run ended with 0 as its restarted watch died 7 ms later).
      this.#env.converger.changed();
      this.#watchBack();
    }
  }

  /**
   * Its watch failed and starts again after `meta.delay` (meta.retry): not
   * converged until the new watch is live (its first event), as at its first
   * start, else a run that ends once converged would end before the retry. A
   * watch that died is a change: the quiet time starts again.
   */
  #watchRestarting(error: EngineError): void {
    // Busy first: changed() on an idle converger with no timeout would declare it converged at once.
    if (!this.#watchDown) this.#env.converger.busy();
    this.#watchDown = true;
    // Masked now: the status (UI, metrics) carries it while the watch is down.
    this.#watchFailure = this.#env.secrets.maskError(error);
    this.#env.converger.changed();
    this.#statusChanged();
  }

  /** The restarted watch is live, died for good, or the vertex is closing: what kept the graph from converging is gone. */
  #watchBack(): void {
    if (!this.#watchDown) return;
    this.#watchDown = false;
    this.#env.converger.idle();
    this.#statusChanged();
  }

  // ---- events --------------------------------------------------------------

  /** Something may have changed: run (again) as soon as the parents allow. */
  poke(): void {
    // A vertex whose init failed or whose watch died never runs again: a poke would only keep it busy.
    if (this.#closed || this.#fatal) return;
    if (this.#env.observed()) this.#env.emit({ type: 'event', id: this.id });
    this.#dirty = true;
    this.#setBusy(true);
    // Not ready (init under way, or its watch not live yet): a run now would
    // find nothing to do. Becoming ready pokes it (#readyNow, watchEvent),
    // and it runs then. A graph's start pokes most children so before they
    // are started: that was a third of its runs.
    if (!this.#active && this.#ready) {
      this.#active = true;
      // Queued, never run inline (see RunQueue).
      this.#env.runQueue.add(this);
    }
  }

  /** A child waits for this vertex: run it unless it is already on its way. */
  backpoke(): void {
    if (this.#dirty || this.#active || this.#waiting) return;
    this.poke();
  }

  /** To run again once the swap under way is done (see resume): a parent was added. */
  markDirty(): void {
    this.#dirty = true;
  }

  /**
   * After a graph swap: run if events came in while paused, and look again
   * at parents when waiting or blocked (they may have been replaced).
   */
  resume(): void {
    if (this.#dirty || this.#waiting || this.#state === 'blocked') this.poke();
  }

  /** Equal for graph swap: same kind definition, same metaparams, params equal by the kind's cmp. */
  sameAs(resource: GroupedResource, definition: AnyResourceDefinition): boolean {
    if (definition !== this.definition || !isDeepStrictEqual(resource.meta, this.meta)) return false;
    const equal = (a: GroupedResource, b: GroupedResource): boolean => sameParams(definition, a.params, b.params);
    const mine = this.resource.group ?? [];
    const theirs = resource.group ?? [];
    return (
      equal(this.resource, resource) &&
      mine.length === theirs.length &&
      mine.every((child, index) => {
        const other = theirs[index];
        return other !== undefined && child.id === other.id && isDeepStrictEqual(child.meta, other.meta) && equal(child, other);
      })
    );
  }

  /** A replacement keeps its predecessor's retry budget, unless `meta.reset` asks to start afresh. */
  inheritFrom(previous: Vertex): void {
    this.#retries.inheritFrom(previous.#retries);
  }

  /** A refresh is owed to this vertex; in a dry run, also one that a parent's change would bring (see #process). */
  refreshPending(): boolean {
    return this.#dryRunRefresh || this.#env.refreshes.isPending(this.id);
  }

  /** The parent `id` would change in this dry run (see ResourceContext.wouldChangeBefore); false in a real run, where no vertex would change. */
  parentWouldChange(id: string): boolean {
    const parents = this.parents;
    for (let i = 0; i < parents.length; i++) {
      const edge = parents[i] as InEdge;
      if (edge.from.id === id) return edge.from.#wouldChange;
    }
    return false;
  }

  /** A parent that notifies this vertex would change in this dry run. */
  #wouldBeRefreshed(): boolean {
    const parents = this.parents;
    for (let i = 0; i < parents.length; i++) {
      const edge = parents[i] as InEdge;
      if (edge.notify && edge.from.#wouldChange) return true;
    }
    return false;
  }

  stageSend(values: Readonly<Record<string, unknown>>): void {
    // Before it is checked: a value sent under a secret key is one, fit or not.
    noteSentSecrets(this.definition, values, this.#env.secrets);
    const misfit = sendMisfit(this.definition, values, this.id);
    if (misfit === undefined) {
      this.#staged = { ...this.#staged, ...values };
      return;
    }
    // Nothing of it is passed on; the check under way fails with it (see
    // checkedResult). Sent when no check runs, it is told now: a late send
    // is dropped at the next check anyway.
    if (this.#call.running) this.#sendMisfit ??= misfit;
    else this.#log('warn', misfit.message);
  }

  /** What a ctx.send of the check under way broke of its kind's sends, if anything. */
  sendMisfit(): EngineError | undefined {
    return this.#sendMisfit;
  }

  /** Its send/recv edges (sender, key, param), sorted: a graph swap that changes them replaces it. */
  receivesKey(): string {
    return receivesKeyOf(this.parents);
  }

  received(): ReadonlyMap<string, ReceivedValue> {
    return this.#received;
  }

  receivedParams(): ReadonlySet<string> {
    return receivedParamsOf(this.parents);
  }

  /**
   * The received params that hold, in this dry run, the value the real run
   * would receive: each of its edges' senders sent it in this check, or
   * would not change. A dry run's description may say whether they differ.
   */
  knownReceived(): ReadonlySet<string> {
    const known = new Set<string>();
    const unknown = new Set<string>();
    for (const edge of this.parents) {
      if (edge.recv === undefined) continue;
      if (this.#received.has(edge.recv) && this.#receivesAsSent(edge)) known.add(edge.recv);
      else unknown.add(edge.recv);
    }
    for (const param of unknown) known.delete(param);
    return known;
  }

  /** Whether what `edge` brings is what the real run would bring: its sender would not change, or sent it in this dry run. */
  #receivesAsSent(edge: InEdge): boolean {
    return !edge.from.#wouldChange || edge.from.#sentInLastCheck.has(edge.send ?? '');
  }

  memberIds(positions: readonly number[]): readonly string[] {
    return this.#members ? this.#members.idsAt(this.id, positions) : positions.includes(0) ? [this.id] : [];
  }

  // ---- the process loop ----------------------------------------------------

  /**
   * Called by the run queue: runs the process loop as far as it gets at
   * once. A step that has to wait (an async checkApply, a semaphore, a
   * retry delay) carries the loop on by itself.
   */
  run(): void {
    let pending: Promise<void> | undefined;
    try {
      pending = this.#steps();
    } finally {
      if (!pending) this.#active = false;
    }
    if (pending) this.#running = this.#carryOn(pending);
  }

  async #carryOn(step: Promise<void>): Promise<void> {
    try {
      let next: Promise<void> | undefined = step;
      while (next) {
        await next;
        next = this.#steps();
      }
    } catch (error) {
      // Steps handle resource failures themselves; this is a bug, kept from crashing the engine.
      this.#log('error', `internal error in the process loop: ${(error as Error).stack ?? String(error)}`);
    } finally {
      // In the same microtask as the last step: a poke that comes after it must find the loop inactive and queue it.
      this.#active = false;
      this.#running = undefined;
    }
  }

  /** The process loop; returns the step it has to wait for, if any. */
  #steps(): Promise<void> | undefined {
    while (this.#dirty && !this.#closed && !this.#fatal) {
      // Not initialised yet, or a graph swap is under way: stay dirty;
      // the watch's first event, or the end of the swap, runs us.
      if (!this.#ready || this.#env.paused()) return undefined;
      // Asked here, not in the loop's condition: the loop ends on a clean vertex without reading the signal again.
      if (this.#env.stopSignal.aborted) break;
      this.#dirty = false;
      this.#waiting = false;
      const downParent = this.#downParent();
      if (downParent) {
        this.#block(downParent);
        // A wait for a busy parent ends here too: the next one starts afresh.
        this.#busyWaitSince = 0;
        continue;
      }
      if (this.#pokeParentsBehind()) {
        // Parents run first; the last of them to finish pokes us again.
        this.#waiting = true;
        this.#setState('pending');
        return undefined;
      }
      this.#busyWaitSince = 0;
      const step = this.#process(this.#instance as Instance);
      if (step) return step;
    }
    // Dirty but never to run again (the watch died meanwhile, or closing): idle all the same.
    if (!this.#dirty || this.#fatal || this.#closed) this.#setBusy(false);
    return undefined;
  }

  /** The first parent that failed for good or is blocked, if any. */
  #downParent(): Vertex | undefined {
    const parents = this.parents;
    for (let i = 0; i < parents.length; i++) {
      const parent = (parents[i] as InEdge).from;
      if (parent.isDown) return parent;
    }
    return undefined;
  }

  /** Whether an outgoing edge notifies (refreshes) its child. */
  #notifiesAny(): boolean {
    const children = this.children;
    for (let i = 0; i < children.length; i++) if ((children[i] as OutEdge).notify) return true;
    return false;
  }

  /**
   * Backpokes every parent that has not run since this vertex last did,
   * unless it is polled and known good (see #knownGood); true if there was one,
   * or if a parent has a run of its own to make (an
   * event not yet taken, a check running, a retry to come): an event that
   * reaches a parent and its child at once (their folder moved away) runs
   * the parent first, as an edge says, and the child after it, or not at
   * all if it fails. Such a parent pokes its waiting children once it has
   * converged, failed or been blocked. A busy parent is waited for until
   * it has finished one run since the wait began, not more: one that is
   * always busy again (a poll shorter than its check, a stream of events)
   * must not hold its children back for good.
   */
  #pokeParentsBehind(): boolean {
    let behind = false;
    let waitsForBusy = false;
    const parents = this.parents;
    for (let i = 0; i < parents.length; i++) {
      const parent = (parents[i] as InEdge).from;
      if (parent.timestamp > this.timestamp) {
        const busy = parent.#dirty || parent.#state === 'running' || parent.#state === 'pending';
        if (!busy || (this.#busyWaitSince > 0 && parent.timestamp > this.#busyWaitSince)) continue;
        waitsForBusy = true;
      } else if (parent.#knownGood()) continue;
      parent.backpoke();
      behind = true;
    }
    if (waitsForBusy && this.#busyWaitSince === 0) this.#busyWaitSince = this.#env.nextTimestamp();
    return behind;
  }

  /**
   * Polled (`meta: {poll}`), converged by a real check at its last tick,
   * and told nothing since (no tick, refresh or new received value: each
   * makes it dirty). Its checks come at its ticks, as the resource contract
   * says: one in between would only repeat the last, and a command without
   * a guard would run again. So a child's run does not wait for it (mgmt
   * skips the check of a resource whose state is cached as good the same
   * way). A watched parent is still checked first: its own event may be on
   * its way (a folder removed under its files), and such a check is cheap.
   * QA: an exec polled every 30 s ran at every event of the file below it,
   * and, sending its output into that file, ran without end.
   */
  #knownGood(): boolean {
    return this.meta.poll > 0 && this.#state === 'converged' && !this.#dirty && !this.#active && !this.#waiting && !(this.#env.noop || this.meta.noop);
  }

  /** One run of checkApply; returns a promise only when it could not finish at once. */
  #process(instance: Instance): Promise<void> | undefined {
    this.#received = receiveInto(this.params, this.parents);
    const misfit = receivedProblem(this.id, this.name, this.definition, this.params, this.#received);
    if (misfit) {
      // Running again would receive the same value: this waits for the sender to send another.
      this.#failForGood(misfit);
      return undefined;
    }
    const apply = !(this.#env.noop || this.meta.noop);
    // A dry run's check sees the refresh a real run would bring, and answers
    // as that run would: a refreshonly command whose guard skips would not
    // run, a password would be made anew (and its receivers change).
    this.#dryRunRefresh = !apply && this.#wouldBeRefreshed();
    if (this.meta.hidden) {
      // Counts as done at once, so what depends on it runs.
      this.#succeeded(true, apply);
      return undefined;
    }
    return this.#needsWaits(apply) ? processWithWaits(this.#checkWithWaits(), instance, apply) : this.#checkAtOnce(instance, apply);
  }

  /**
   * Whether this run waits for something besides checkApply itself: a rate
   * limit, a semaphore, a timeout timer, a reversal or a refresh to persist.
   * Most runs do not, and take the path without promises (#checkAtOnce).
   */
  #needsWaits(apply: boolean): boolean {
    if (this.#limiter || this.meta.sema.length > 0 || this.#env.globalSema || this.meta.timeout > 0) return true;
    if (!apply) return false;
    if (this.meta.reverse && this.definition.reversible && !this.#reversalChecked) return true;
    return this.refreshPending() || this.#notifiesAny();
  }

  /** checkApply with nothing to wait for before or after it: no promise unless the resource returns one. */
  #checkAtOnce(instance: Instance, apply: boolean): Promise<void> | undefined {
    const controller = this.#beginCheck();
    let result: boolean | Promise<boolean>;
    try {
      // callResourceNow's work, without a closure per check.
      result = guardedNow(this.id, 'checkApply', checkedResult(instance.checkApply(apply, controller.signal), this), controller);
    } catch (thrown) {
      const error = resourceError(this.id, 'checkApply', thrown);
      const waits = this.#env.waitSignal();
      const retry = this.#checkFailedAfterDescribing(error, apply, waits);
      if (typeof retry !== 'boolean') return retry.then((again) => (again ? retryAfterDelay(this.#checkWithWaits(), instance, apply, waits) : undefined));
      return retry ? retryAfterDelay(this.#checkWithWaits(), instance, apply, waits) : undefined;
    }
    if (isThenable(result)) {
      const waits = this.#env.waitSignal();
      return result.then(
        (converged) => this.#checkSucceeded(instance, apply, converged, false),
        async (error: unknown) => ((await this.#checkFailedAfterDescribing(error, apply, waits)) ? retryAfterDelay(this.#checkWithWaits(), instance, apply, waits) : undefined),
      );
    }
    return this.#checkSucceeded(instance, apply, result, false);
  }

  /**
   * What a run with waits (see check-with-waits.ts) needs of this vertex:
   * made the first time one runs, as most vertices never wait.
   */
  #checkWithWaits(): CheckWithWaitsHost {
    this.#waitsHost ??= {
      id: this.id,
      kind: this.kind,
      sendMisfit: () => this.sendMisfit(),
      meta: this.meta,
      definition: this.definition,
      children: this.children,
      env: this.#env,
      limiter: this.#limiter,
      retries: this.#retries,
      reversalChecked: () => this.#reversalChecked,
      setReversalChecked: (checked) => {
        this.#reversalChecked = checked;
      },
      reversalSubjects: (instance) => this.#reversalSubjects(instance),
      refreshPending: () => this.refreshPending(),
      noteRefreshesSeen: () => {
        this.#refreshesSeen = this.#env.refreshes.sentCount(this.id);
      },
      persistRefreshes: (converged, applied, refreshed) => this.#persistRefreshes(converged, applied, refreshed),
      clearRefreshIntent: () => this.#clearRefreshIntent(),
      beginCheck: () => this.#beginCheck(),
      checkFailed: (error, apply, waits) => this.#checkFailedAfterDescribing(error, apply, waits),
      checkSucceeded: (instance, apply, converged, refreshing) => this.#checkSucceeded(instance, apply, converged, refreshing),
      deferForSwap: () => this.#deferForSwap(),
      retryCutShort: () => this.#retryCutShort(),
      log: (level, message) => this.#log(level, message),
    };
    return this.#waitsHost;
  }

  /** A wait before a retry was cut short: by a stop, no retry will come and the last failure stands; by a swap, the run is deferred. */
  #retryCutShort(): void {
    if (this.#env.stopSignal.aborted && this.#lastError && !this.#closed) this.#failForGood(this.#lastError);
    else this.#deferForSwap();
  }

  /** Marks a check as started; its controller is pooled unless a timeout may abort it. */
  #beginCheck(): AbortController {
    this.#setState('running');
    this.#checks++;
    this.#staged = undefined;
    this.#sendMisfit = undefined;
    return this.#call.begin(this.meta.timeout, this.#env.checkControllers);
  }

  #endCheck(): void {
    this.#call.end(this.#env.checkControllers);
  }

  /** After a successful checkApply: events, a noop diff, refreshes, children. */
  #checkSucceeded(instance: Instance, apply: boolean, checked: boolean, refreshing: boolean): Promise<void> | undefined {
    this.#endCheck();
    // In a dry run, a parent that would change and sends us a value it did
    // not make in its dry run (a password it would make anew) means a real
    // run would change us too. A value it did send (the one it would keep)
    // was checked here as it is. A refresh it would bring, the check saw
    // (see #process).
    const converged = checked && (apply || !this.parents.some((edge) => edge.recv !== undefined && !this.#receivesAsSent(edge)));
    const notifies = apply && this.#notifiesAny();
    let describing: Promise<void> | undefined;
    if (this.#env.observed()) {
      this.#emitCheck(converged, apply);
      if (!apply && !converged && instance.describeChange) describing = describeChange(instance, this, this.#members, this.#env);
    }
    if (!describing && !notifies && !refreshing) {
      this.#succeeded(converged, apply);
      return undefined;
    }
    return (async () => {
      await describing;
      await this.#persistRefreshes(converged, apply, refreshing);
      // Before #succeeded, not after: no wait may follow it in this run. A
      // child that backpokes this vertex while its run is still active is
      // ignored (the run pokes its children when it succeeds); after that
      // point, a child waiting on it would wait forever.
      if (notifies) await this.#clearRefreshIntent();
      this.#succeeded(converged, apply);
    })();
  }

  /**
   * After a failed checkApply: true when the budget allows a retry (after
   * `meta.delay`, which is the caller's to wait), else the vertex failed for
   * good, or was deferred because a swap or a stop cut the call short.
   */
  #checkFailed(error: unknown, apply: boolean, waits: AbortSignal): boolean {
    this.#retries.noteTimedOutCall(this.#call.ending());
    this.#endCheck();
    if (waits.aborted && !(error instanceof EngineError)) {
      this.#deferForSwap();
      return false;
    }
    // Its watch died meanwhile (and aborted it): that failure stands, told
    // once, and it never runs again (see #failForGood). That the check was
    // cut short is told too: what it did may be half done (QA: a command
    // killed midway, and nothing said so).
    if (this.#fatal) {
      const cut = maskedCheckError(error, this.id, this.#env.secrets);
      this.#log('warn', `checkApply cut short as its watch failed (what it was doing may be half done): ${cut.message}`);
      this.#setBusy(false);
      return false;
    }
    if (this.#leaving) {
      // Not "checkApply stopped: checkApply failed: removed or replaced by a graph swap".
      this.#log('info', `checkApply stopped: ${maskedCheckError(error, this.id, this.#env.secrets).message.replace(/^checkApply failed: /, '')}`);
      this.#setState('stopped');
      if (!this.#dirty) this.#setBusy(false);
      return false;
    }
    const failure = checkFailure(error, this.id, this.#env.secrets, this.params, this.#received);
    if (!apply && this.#wouldChangeAfterParents(failure)) return false;
    this.#failureIsNews(failure);
    this.#lastError = failure;
    // A group that failed for some members may have changed the others, or, in a dry run, would.
    if (failure.members !== undefined) {
      this.#members?.count(this.#instance as Instance | undefined, this.#changes, true);
      if (apply && this.#members?.lastChangedAny) this.#logChanged();
      if (!apply) this.#wouldChangeForMembers();
    } else if (!apply && failure.wouldChange) this.#wouldChangeBeforeFailing();
    if (this.#env.observed()) this.#emitCheck(false, apply, failure);
    if (this.#retries.spent || this.#env.stopSignal.aborted || this.#closed) {
      this.#failForGood(failure);
      return false;
    }
    const givenUp = this.#retries.keepsFailing(failure);
    if (givenUp) {
      this.#failForGood(givenUp);
      return false;
    }
    // A failure found again is logged at debug, as every re-check's.
    this.#log(this.#retryFailures.level(failure.message), this.#retries.take(this.#limiter !== undefined, failure.message));
    this.#setState('pending');
    return true;
  }

  /** Tells observers how a check came out; for a group, how it did for each member (QA: metrics counted a failing member under the group's first). */
  #emitCheck(converged: boolean, apply: boolean, error?: EngineError): void {
    const members = this.#members?.checksOf(this.id, this.#instance as Instance | undefined, converged, error);
    this.#env.emit({
      type: 'checkApply',
      id: this.id,
      durationMs: this.#call.elapsedMs(),
      converged,
      apply,
      ...(error === undefined ? {} : { error }),
      ...(members === undefined ? {} : { members }),
    });
  }

  /** A dry run's check that failed for want of a change its ancestors would make counts as would change (see changesAwaited). */
  #wouldChangeAfterParents(failure: EngineError): boolean {
    const changing = changesAwaited<Vertex>(failure, this, (vertex) => vertex.#wouldChange);
    if (changing.length === 0) return false;
    // Said once, until it no longer would, as every would change (a watched dry run checks again at each event).
    if (!this.#wouldChange) this.#log('warn', wouldChangeAfterMessage(changing, failure));
    if (this.#env.observed()) this.#emitCheck(false, false);
    this.#wouldChange = true;
    this.#succeeded(false, false);
    return true;
  }

  /**
   * A dry run of a group that failed for some members: the others it would
   * change are told would-change (see wouldChangeForMembers).
   */
  #wouldChangeForMembers(): void {
    const instance = this.#instance;
    const describe = (): void => {
      if (this.#env.observed() && instance) void describeChange(instance, this, this.#members, this.#env);
    };
    this.#wouldChange = wouldChangeForMembers(this.#members, this.id, this.#wouldChange, this.#log.bind(this), describe);
  }

  /**
   * A dry run whose check found changes it would make before it failed
   * (EngineError.wouldChange): the real run makes them, then fails the same
   * way. Told would change, with what it would do, then the failure, as for
   * a group's members that did not fail (QA: a virt dry run said only the
   * failure, where the real run redefined and resumed the domain first).
   */
  #wouldChangeBeforeFailing(): void {
    if (!this.#wouldChange) this.#log('warn', 'would change (noop), before it fails');
    this.#wouldChange = true;
  }

  /**
   * A dry run's failure that would change first (see #wouldChangeBeforeFailing):
   * what it would do is told before the failure is, as it would be done
   * before it; once, as every would change. Undefined for any other failure.
   */
  #describeBeforeFailing(error: unknown, apply: boolean): Promise<void> | undefined {
    // By its tag: a plugin with its own copy of engine-api throws another class's EngineError.
    if (apply || !isEngineError(error) || !error.wouldChange || error.members !== undefined) return undefined;
    if (this.#wouldChange || this.#fatal || this.#leaving || !this.#env.observed() || !this.#instance) return undefined;
    return describeChange(this.#instance as Instance, this, this.#members, this.#env);
  }

  /** #checkFailed, after a dry run's description of what it would do before failing, if it has one. */
  #checkFailedAfterDescribing(error: unknown, apply: boolean, waits: AbortSignal): boolean | Promise<boolean> {
    const describing = this.#describeBeforeFailing(error, apply);
    return describing ? describing.then(() => this.#checkFailed(error, apply, waits)) : this.#checkFailed(error, apply, waits);
  }

  /** `changed`, for each member a group changed (told by the kind), else for the vertex (QA: a group's change was logged under its first resource). */
  #logChanged(): void {
    logForChangedMembers(this.#members, this.id, this.#log.bind(this), 'info', 'changed');
  }

  /**
   * Refreshes are written before the children are poked, so a crash in
   * between cannot lose them; ours is cleared only after we consumed it.
   */
  async #persistRefreshes(converged: boolean, applied: boolean, refreshed: boolean): Promise<void> {
    try {
      if (!converged && applied) {
        await Promise.all(this.children.filter((edge) => edge.notify).map((edge) => this.#env.refreshes.set(edge.to.id)));
      }
      // A refresh sent while the check ran stays pending: the parent's poke runs us again for it.
      if (refreshed) await this.#env.refreshes.clear(this.id, this.#refreshesSeen);
    } catch (error) {
      this.#log('error', `could not persist a refresh: ${(error as Error).message}`);
    }
  }

  /** Clears this vertex's refresh intent; a failure to is logged, as for any refresh. */
  #clearRefreshIntent(): Promise<void> {
    return this.#env.refreshes.clearIntent(this.id).catch((error: unknown) => this.#log('error', `could not persist a refresh: ${(error as Error).message}`));
  }

  #succeeded(converged: boolean, applied: boolean): void {
    if (!converged) {
      this.#changes++;
      this.#members?.count(this.#instance as Instance | undefined, this.#changes - 1, false);
    }
    if (applied && !converged) this.#env.converger.changed();
    // One never made has nothing to forget.
    this.#retriesMade?.succeeded();
    if (this.meta.retryreset) {
      this.#retriesMade?.reset();
      this.#watch?.resetRetries();
    }
    let sentChanged = false;
    this.#sentInLastCheck = this.#staged ? new Set(Object.keys(this.#staged)) : NO_KEYS;
    if (this.#staged) {
      const next = { ...this.sent, ...this.#staged };
      sentChanged = !isDeepStrictEqual(next, this.sent);
      this.sent = next;
      this.#staged = undefined;
    }
    if (this.#fatal) {
      // Its watch died while this run went on (a watchcmd's last line, then
      // its exit): what the run changed is told all the same (QA: a command
      // ran and nothing said so).
      if (applied && !converged) this.#log('info', 'changed (in a run that began before its watch failed)');
      return;
    }
    this.#down = false;
    this.#lastError = undefined;
    this.#loggedFailure = undefined;
    this.#retryFailuresMade?.forget();
    this.#setState('converged');
    if (applied && !converged) this.#logChanged();
    // Every event re-checks a noop resource that still would change: said
    // once, until it no longer would; for a group, by the members the kind
    // says would change (QA: told of a member that was converged).
    if (!applied && !converged && !this.#wouldChange) logForChangedMembers(this.#members, this.id, this.#log.bind(this), 'warn', 'would change (noop)');
    if (!applied) this.#wouldChange = !converged;
    this.timestamp = this.#env.nextTimestamp();
    this.#wakeRealizedWaiters();
    // A child runs again after us when we changed something (or sent new
    // values), or when it is waiting, pending or blocked. A converged child gains
    // nothing from re-checking after a parent that found nothing to do: on
    // a tree of 10,000 files every directory's idle re-check would
    // otherwise re-check all its files. Nor does a failed one: its retries
    // are spent, and running it again for every event of a parent (a
    // folder's, as the files in it are written) would repeat a command
    // that failed, a migration or a restart, however `retry` is set.
    const children = this.children;
    for (let i = 0; i < children.length; i++) {
      const child = (children[i] as OutEdge).to;
      if (!converged || sentChanged || child.awaitsParents) child.poke();
    }
  }

  /**
   * Waiting for its parents, or yet to run after them (pending, blocked): a
   * parent that ran must poke it. A child running now started after the
   * parent's last change, and a failed one has spent its retries.
   */
  get awaitsParents(): boolean {
    return this.#dirty || this.#waiting || this.#state === 'pending' || this.#state === 'blocked';
  }

  /** A wait was cut short by a swap (or a stop): run again once the swap is done. */
  #deferForSwap(): void {
    if (!this.#env.stopSignal.aborted) this.#dirty = true;
  }

  /**
   * Reversal bookkeeping (see reversal-steps.ts) for this vertex's resource
   * as it is now, then for each member of its group with meta.reverse: each
   * leaves the graph on its own, so each is put back under its own id. A
   * member's reversal is asked of the group's instance with its own params.
   */
  #reversalSubjects(instance: Instance): ReversalSubject[] {
    const own: ReversalSubject = { id: this.id, kind: this.kind, name: this.name, definition: this.definition, instance, params: this.params };
    const members = (this.resource.group ?? []).filter((member) => member.meta.reverse);
    return [own, ...members.map(({ id, kind, name, params }) => ({ id, kind, name, definition: this.definition, instance, params }))];
  }

  // ---- failure and blocking ------------------------------------------------

  /**
   * A failure is a change for converged detection (the quiet time starts
   * again) unless it is the one this vertex already had: a polled resource
   * that fails the same way at every poll must not keep the graph from
   * converging (and a --converged-exit run from ending).
   */
  #failureIsNews(error: EngineError): void {
    if (this.#lastError?.message !== error.message) this.#env.converger.changed();
  }

  /** `fatal`: init failed or the watch died, so no later run can succeed. */
  #failForGood(thrown: EngineError, fatal = false): void {
    const error = this.#env.secrets.maskError(thrown);
    this.#failureIsNews(error);
    if (fatal) this.#fatal = true;
    this.#lastError = error;
    this.#down = true;
    this.#setState('failed');
    this.#wakeRealizedWaiters();
    // Told as the failing members', when the error names members of the group
    // (see failure): the first as `resource`, all as `resources` (QA: a
    // group with two misspelt packages was told as the first one's alone).
    const failed = error.members === undefined ? undefined : membersTag(this.memberIds(error.members));
    // With the code, as the summary's lines carry it in --log-json.
    const fields = { code: error.code, ...(error.hint ? { hint: error.hint } : {}), ...failed };
    if (this.#loggedFailure === error.message) this.#log('debug', `failed again the same way: ${error.message}`, fields);
    else this.#log('error', error.message, fields);
    this.#loggedFailure = error.message;
    // Children are poked so they notice and block instead of waiting forever.
    for (const edge of this.children) edge.to.poke();
    // A fatal failure never runs again (a poke is ignored), so a pending
    // poke (a child's backpoke during init) must not keep it busy: the
    // graph would never count as converged, and a one-shot run never end.
    if (!this.#dirty || this.#fatal) this.#setBusy(false);
  }

  #block(parent: Vertex): void {
    if (this.#state === 'blocked' && this.#down) return;
    this.#down = true;
    this.#retryFailuresMade?.forget();
    this.#lastError = new EngineError('ERR_RESOURCE_BLOCKED', `not run: ${parent.downMemberId} did not succeed`, {
      resource: this.id,
      phase: 'checkApply',
    });
    this.#setState('blocked');
    // Said once per blocking, as a failure is: on a terminal the status line
    // only counts it. For each member of a group, as stdout tells each (QA).
    this.#log('warn', `blocked: ${this.#lastError.message}`);
    for (const member of this.#members?.grouped ?? []) this.#log('warn', `blocked: ${this.#lastError.message}`, { resource: member.id });
    this.#wakeRealizedWaiters();
    for (const edge of this.children) edge.to.poke();
  }

  // ---- stopping ------------------------------------------------------------

  /** Resolves when no checkApply of this vertex is running. */
  async settled(): Promise<void> {
    while (this.#active) await (this.#running ?? this.#env.runQueue.drained());
  }

  /** Aborts a running checkApply (forced stop). */
  abortCheck(reason: Error): void {
    this.#call.abortNow(reason);
  }

  /**
   * Removed or replaced by a graph swap: a check still running is aborted,
   * and its end is no failure of the graph (the resource is gone from it),
   * so it is logged as stopped, not reported as failed.
   */
  leaveGraph(reason: Error): void {
    this.#leaving = true;
    this.abortCheck(reason);
  }

  interrupt(): void {
    try {
      this.#instance?.interrupt?.();
    } catch (error) {
      this.#log('warn', `interrupt failed: ${(error as Error).message}`);
    }
  }

  /** Ends the watch and cleans up. Called once, after runs have settled. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // A stop that comes while the watch waits to start again leaves it failed, as a
    // check waiting to retry does (QA: a watch that died after going live, under
    // retry, let a --converged-exit run end with 0; without retry, it ended with 1).
    const watchFailure = this.#watchDown && this.#env.stopSignal.aborted ? this.#watchFailure : undefined;
    this.#closed = true;
    this.#wakeRealizedWaiters();
    await this.#watch?.stop();
    this.#watchBack();
    if (watchFailure && this.#state !== 'failed') this.#failForGood(watchFailure, true);
    const instance = this.#instance;
    if (instance?.cleanup) {
      try {
        await callResource(this.id, 'cleanup', () => instance.cleanup?.());
      } catch (error) {
        this.#log('warn', (error as EngineError).message);
      }
    }
    if (this.#state !== 'failed' && this.#state !== 'blocked') this.#setState('stopped');
    this.#setBusy(false);
  }

  // ---- bookkeeping ---------------------------------------------------------

  #setBusy(busy: boolean): void {
    if (busy === this.#busy) return;
    this.#busy = busy;
    if (busy) this.#env.converger.busy();
    else this.#env.converger.idle();
  }

  #setState(state: ResourceState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#statusChanged();
  }

  /** Tells the engine of this vertex's new status, and of each resource grouped into it, which changes with it. */
  #statusChanged(): void {
    this.#env.statusChanged(this);
    const group = this.resource.group;
    if (group === undefined) return;
    for (let position = 1; position <= group.length; position++) {
      this.#env.statusChanged({ status: () => this.#memberStatus(position) });
    }
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    const secrets = this.#env.secrets;
    this.#env.logger[level]({ resource: this.id, ...secrets.maskFields(fields) }, secrets.mask(message));
  }
}
