import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EngineError,
  type AnyResourceDefinition,
  type MetaParams,
  type ReceivedValue,
  type ResourceInstance,
} from '@converge/engine-api';
import type { GroupedResource } from '../graph/autogroup.js';
import { GroupMembers } from './group-members.js';
import { abortCall, callResource, callResourceNow, endingOf, isThenable, resourceError } from './resource-call.js';
import { EngineResourceContext, type ContextHost } from './resource-context.js';
import { EventValue } from './event-value.js';
import { RateLimiter } from './rate-limiter.js';
import { dropReversalIfUnchanged, extendReversal, recordReversal, type ReversalSubject } from './reversal-steps.js';
import { ResourceWatch } from './resource-watch.js';
import { receivedProblem, withReceivedValuesHidden } from './received-check.js';
import { secretSendKeys } from './secrets.js';
import type { ResourceState, ResourceStatus } from './status.js';
import type { VertexEnv } from './vertex-env.js';

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

const NOTHING_RECEIVED: ReadonlyMap<string, ReceivedValue> = new Map();
/** No send keys, no received params: shared, as most vertices have none. */
const NO_KEYS: ReadonlySet<string> = new Set();
/** The longest a retry waits for a timed-out checkApply to end (a command's group gets 2 s after SIGTERM, then SIGKILL). */
const TIMED_OUT_CALL_WAIT_MS = 5_000;

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
  sent: Readonly<Record<string, unknown>> = {};

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
  /** When the last checkApply timed out: when it has really ended. */
  #timedOutCallEnding: Promise<void> | undefined;
  #retriesLeft: number;
  #staged: Record<string, unknown> | undefined;
  /** The send keys of the last successful checkApply (a dry run's included). */
  #sentInLastCheck: ReadonlySet<string> = NO_KEYS;
  /** The refresh store's sentCount for this vertex when its last check began: refreshes sent later are not cleared by it. */
  #refreshesSeen = 0;
  #received: ReadonlyMap<string, ReceivedValue> = NOTHING_RECEIVED;
  #limiter: RateLimiter | undefined;
  #watch: ResourceWatch | undefined;
  #checkController: AbortController | undefined;
  /** The running check's controller comes from the engine's pool (it has no timeout to abort it). */
  #pooledController = false;
  /**
   * NaN, not 0, until the first check: it holds performance.now()'s
   * fractions, and a field that starts as a small integer and then takes one
   * makes V8 deprecate the shape of every vertex yet to run. Each of those
   * is then migrated on its next access: 3 µs a vertex, 40 ms of a 10,000
   * file run.
   */
  #checkStartedAt = Number.NaN;
  /** This vertex has recorded its reversal, or extended a stored one to what it manages now (meta.reverse). */
  #reversalChecked = false;
  /** Made only when a swap waits (see realized()): true once this vertex converged once, or never can. */
  #realizedOnce: EventValue<boolean> | undefined;

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
    this.#retriesLeft = resource.meta.retry;
    this.#members = resource.group !== undefined && resource.group.length > 0 ? new GroupMembers(resource.group) : undefined;
    if (Number.isFinite(resource.meta.limit)) this.#limiter = new RateLimiter(resource.meta.limit, resource.meta.burst);
    env.converger.busy();
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
    const member = this.#lastError && this.#namedMember(this.#lastError);
    return member?.id ?? this.id;
  }

  /** This vertex's status, and the same for each resource grouped into it (see memberStatus). */
  statuses(): ResourceStatus[] {
    const group = this.resource.group ?? [];
    if (group.length === 0) return [this.status()];
    return [this.status(), ...group.map((_, index) => this.#memberStatus(index + 1))];
  }

  /** The status of a member of this vertex's group (0 = the resource itself): see GroupMembers.statusOf. */
  #memberStatus(position: number): ResourceStatus {
    const own = this.#ownStatus();
    return this.#members === undefined ? own : this.#members.statusOf(own, position);
  }

  /**
   * A dry run of a group that failed for some members: the others its
   * instance says it would change (changedMembers) are told would-change,
   * as they would be had the failing members not been in the group.
   */
  #wouldChangeForMembers(): void {
    const wouldChange = this.#members?.lastChangedAny ?? false;
    if (wouldChange && !this.#wouldChange) {
      this.#log('warn', `would change (noop), for the members that did not fail: ${this.#members?.lastChangedIds(this.id).join(', ')}`);
      // What they would do, as for a group that did not fail (QA: said for none of them).
      if (this.#env.observed() && this.#instance) void this.#describeChange(this.#instance as Instance);
    }
    this.#wouldChange = wouldChange;
  }

  /** `changed`, for each member a group changed (told by the kind), else for the vertex (QA: a group's change was logged under its first resource). */
  #logChanged(): void {
    const members = this.#members?.lastChangedIds(this.id) ?? [];
    if (members.length === 0) this.#log('info', 'changed');
    for (const member of members) this.#log('info', 'changed', { resource: member });
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
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  /**
   * The error that put this vertex down, when it failed for good; told as
   * the first member's of its group it names (EngineError.members), when
   * it does not name the resource itself.
   */
  get failure(): EngineError | undefined {
    const error = this.#state === 'failed' ? this.#lastError : undefined;
    const member = error && this.#namedMember(error);
    if (error === undefined || member === undefined) return error;
    return new EngineError(error.code, error.message, {
      resource: member.id,
      ...(error.phase === undefined ? {} : { phase: error.phase }),
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      members: error.members,
      cause: error,
    });
  }

  /** The first member of the group an error names (EngineError.members), when it does not name the resource itself. */
  #namedMember(error: EngineError): { readonly id: string } | undefined {
    return this.#members?.namedIn(error);
  }

  /** "id: checkApply running for N s", when a checkApply is under way. */
  runningCall(): string | undefined {
    if (!this.#checkController) return undefined;
    const seconds = ((performance.now() - this.#checkStartedAt) / 1000).toFixed(1);
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
      instance = this.definition.create(this.params) as Instance;
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
    const init = (): Promise<void> | void => instance.init?.(new EngineResourceContext(this, this.#env));
    let pending: Promise<void> | void;
    try {
      pending =
        this.meta.timeout > 0
          ? callResource(this.id, 'init', init, this.meta.timeout, new AbortController())
          : callResourceNow(this.id, 'init', init);
    } catch (error) {
      this.#failForGood(error as EngineError, true);
      return undefined;
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
        readyNow: () => this.#readyNow(),
        poke: () => this.poke(),
        watchDied: (error) => {
          if (this.#closed) return;
          this.#failForGood(error, true);
          // A check under way (the watch's first event started it) would
          // change things for a resource that has failed for good: a command
          // run after its failure was told. Aborted: its process group goes.
          this.#checkController?.abort(error);
        },
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

  /** From the resource's watch: live now, and something may have changed. */
  watchEvent(): void {
    if (this.#initDone) this.#ready = true;
    this.poke();
  }

  // ---- events --------------------------------------------------------------

  /** Something may have changed: run (again) as soon as the parents allow. */
  poke(): void {
    // A vertex whose init failed or whose watch died never runs again: a poke would only keep it busy.
    if (this.#closed || this.#fatal) return;
    if (this.#env.observed()) this.#env.emit({ type: 'event', id: this.id });
    this.#dirty = true;
    this.#setBusy(true);
    if (!this.#active) {
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
    const equal = (a: GroupedResource, b: GroupedResource): boolean =>
      definition.cmp ? definition.cmp(a.params, b.params) : isDeepStrictEqual(a.params, b.params);
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
    if (this.meta.reset) return;
    const left = previous.#retriesLeft;
    this.#retriesLeft = this.meta.retry < 0 ? -1 : Math.min(this.meta.retry, left < 0 ? this.meta.retry : left);
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
    this.#staged = { ...this.#staged, ...values };
    const secret = secretSendKeys(this.definition);
    for (const key of secret) if (key in values) this.#env.secrets.add(values[key]);
  }

  /** Its send/recv edges (sender, key, param), sorted: a graph swap that changes them replaces it. */
  receivesKey(): string {
    const keys: string[] = [];
    const parents = this.parents;
    for (let i = 0; i < parents.length; i++) {
      const edge = parents[i] as InEdge;
      if (edge.send !== undefined && edge.recv !== undefined) keys.push(receiveKey(edge.from.id, edge.send, edge.recv));
    }
    return keys.sort().join('\n');
  }

  received(): ReadonlyMap<string, ReceivedValue> {
    return this.#received;
  }

  receivedParams(): ReadonlySet<string> {
    // Asked by plugins at init: most vertices receive nothing and get the shared empty set.
    let params: Set<string> | undefined;
    const parents = this.parents;
    for (let i = 0; i < parents.length; i++) {
      const edge = parents[i] as InEdge;
      if (edge.send !== undefined && edge.recv !== undefined) (params ??= new Set()).add(edge.recv);
    }
    return params ?? NO_KEYS;
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
    while (this.#dirty && !this.#closed && !this.#fatal && !this.#env.stopSignal.aborted) {
      // Not initialised yet, or a graph swap is under way: stay dirty;
      // the watch's first event, or the end of the swap, runs us.
      if (!this.#ready || this.#env.paused()) return undefined;
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
   * Backpokes every parent that has not run since this vertex last did;
   * true if there was one, or if a parent has a run of its own to make (an
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
      }
      parent.backpoke();
      behind = true;
    }
    if (waitsForBusy && this.#busyWaitSince === 0) this.#busyWaitSince = this.#env.nextTimestamp();
    return behind;
  }

  /** One run of checkApply; returns a promise only when it could not finish at once. */
  #process(instance: Instance): Promise<void> | undefined {
    this.#receive();
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
    return this.#needsWaits(apply) ? this.#processWithWaits(instance, apply) : this.#checkAtOnce(instance, apply);
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
      result = callResourceNow(this.id, 'checkApply', () => instance.checkApply(apply, controller.signal), controller);
    } catch (error) {
      const waits = this.#env.waitSignal();
      return this.#checkFailed(error, apply, waits) ? this.#retryAfterDelay(instance, apply, waits) : undefined;
    }
    if (isThenable(result)) {
      const waits = this.#env.waitSignal();
      return result.then(
        (converged) => this.#checkSucceeded(instance, apply, converged, false),
        (error: unknown) => (this.#checkFailed(error, apply, waits) ? this.#retryAfterDelay(instance, apply, waits) : undefined),
      );
    }
    return this.#checkSucceeded(instance, apply, result, false);
  }

  /** The retries of a run that failed at once: the rest of them loop in #processWithWaits. */
  async #retryAfterDelay(instance: Instance, apply: boolean, waits: AbortSignal): Promise<void> {
    if (await this.#waitToRetry(waits)) await this.#processWithWaits(instance, apply);
  }

  /**
   * Waits `meta.delay`; false when a swap cut the wait short (the run is
   * then deferred) or a stop did: no retry will come, so the last failure
   * stands, as it does for a check that fails while the stop lands (where
   * the stop lands must not decide how the run ends).
   */
  async #waitToRetry(waits: AbortSignal): Promise<boolean> {
    try {
      await sleep(this.meta.delay, undefined, { signal: waits });
      return true;
    } catch {
      if (this.#env.stopSignal.aborted && this.#lastError && !this.#closed) this.#failForGood(this.#lastError);
      else this.#deferForSwap();
      return false;
    }
  }

  /** Marks a check as started; its controller is pooled unless a timeout may abort it. */
  #beginCheck(): AbortController {
    this.#setState('running');
    this.#checks++;
    this.#staged = undefined;
    this.#pooledController = this.meta.timeout === 0;
    const controller = this.#pooledController ? this.#env.checkControllers.take() : new AbortController();
    this.#checkController = controller;
    this.#checkStartedAt = performance.now();
    return controller;
  }

  #endCheck(): void {
    const controller = this.#checkController;
    this.#checkController = undefined;
    if (controller && this.#pooledController) this.#env.checkControllers.giveBack(controller);
  }

  /** After a successful checkApply: events, a noop diff, refreshes, children. */
  #checkSucceeded(instance: Instance, apply: boolean, checked: boolean, refreshing: boolean): Promise<void> | undefined {
    this.#endCheck();
    // In a dry run, a parent that would change and sends us a value it did
    // not make in its dry run (a password it would make anew) means a real
    // run would change us too. A value it did send (the one it would keep)
    // was checked here as it is. A refresh it would bring, the check saw
    // (see #process).
    const converged =
      checked &&
      (apply || !this.parents.some((edge) => edge.from.#wouldChange && edge.recv !== undefined && !edge.from.#sentInLastCheck.has(edge.send ?? '')));
    const notifies = apply && this.#notifiesAny();
    let describing: Promise<void> | undefined;
    if (this.#env.observed()) {
      this.#env.emit({ type: 'checkApply', id: this.id, durationMs: performance.now() - this.#checkStartedAt, converged, apply });
      if (!apply && !converged && instance.describeChange) describing = this.#describeChange(instance);
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
      if (notifies) await this.#env.refreshes.clearIntent(this.id).catch((error: unknown) => this.#log('error', `could not persist a refresh: ${(error as Error).message}`));
      this.#succeeded(converged, apply);
    })();
  }

  /**
   * After a failed checkApply: true when the budget allows a retry (after
   * `meta.delay`, which is the caller's to wait), else the vertex failed for
   * good, or was deferred because a swap or a stop cut the call short.
   */
  #checkFailed(error: unknown, apply: boolean, waits: AbortSignal): boolean {
    this.#timedOutCallEnding = endingOf(this.#checkController);
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
      const cut = this.#env.secrets.maskError(error instanceof EngineError ? error : resourceError(this.id, 'checkApply', error));
      this.#log('warn', `checkApply cut short as its watch failed (what it was doing may be half done): ${cut.message}`);
      this.#setBusy(false);
      return false;
    }
    const thrown = error instanceof EngineError ? error : resourceError(this.id, 'checkApply', error);
    if (this.#leaving) {
      // Not "checkApply stopped: checkApply failed: removed or replaced by a graph swap".
      this.#log('info', `checkApply stopped: ${this.#env.secrets.maskError(thrown).message.replace(/^checkApply failed: /, '')}`);
      this.#setState('stopped');
      if (!this.#dirty) this.#setBusy(false);
      return false;
    }
    // Secrets first: a received password reads [secret], as everywhere else.
    const failure = withReceivedValuesHidden(this.#env.secrets.maskError(thrown), this.params, this.#received);
    if (!apply && this.#wouldChangeAfterParents(failure)) return false;
    this.#failureIsNews(failure);
    this.#lastError = failure;
    // A group that failed for some members may have changed the others, or, in a dry run, would.
    if (failure.members !== undefined) {
      this.#members?.count(this.#instance as Instance | undefined, this.#changes, true);
      if (apply && this.#members?.lastChangedAny) this.#logChanged();
      if (!apply) this.#wouldChangeForMembers();
    }
    if (this.#env.observed()) {
      this.#env.emit({ type: 'checkApply', id: this.id, durationMs: performance.now() - this.#checkStartedAt, converged: false, apply, error: failure });
    }
    if (this.#retriesLeft === 0 || this.#env.stopSignal.aborted || this.#closed) {
      this.#failForGood(failure);
      return false;
    }
    if (this.#retriesLeft > 0) this.#retriesLeft--;
    const left = this.#retriesLeft < 0 ? 'retries without limit' : `${this.#retriesLeft} more after it`;
    const when = this.#limiter && this.meta.delay <= 0 ? 'as its limit allows' : afterDelay(this.meta.delay);
    this.#log('warn', `checkApply failed, retrying ${when} (${left}): ${failure.message}`);
    this.#setState('pending');
    return true;
  }

  /**
   * A dry run's check that fails for want of something (EngineError's
   * `missing`: a folder, a source, a program) while a resource it depends
   * on would change may fail only for want of that change (the package
   * whose install makes this file's folder): the real run makes the change
   * first. It counts as would change, saying after what and what the check
   * found (QA: --noop failed the files of a package it would install, and
   * exited 1). Any other failure stands, as does a group's failure of some
   * members (QA: a missing package was told converged).
   */
  #wouldChangeAfterParents(failure: EngineError): boolean {
    if (!failure.missing || failure.members !== undefined) return false;
    const changing = this.#nearestAncestorsThatWouldChange();
    if (changing.length === 0) return false;
    // Said once, until it no longer would, as every would change (a watched dry run checks again at each event).
    if (!this.#wouldChange) this.#log('warn', `would change after ${changing.join(', ')} (noop; checked before ${changing.length === 1 ? 'it changes' : 'they change'}, it says: ${failure.message})`);
    if (this.#env.observed()) {
      this.#env.emit({ type: 'checkApply', id: this.id, durationMs: performance.now() - this.#checkStartedAt, converged: false, apply: false });
    }
    this.#wouldChange = true;
    this.#succeeded(false, false);
    return true;
  }

  /** The ids of the nearest resources this one depends on (through any chain of parents: a noop between them too) that would change in a dry run. */
  #nearestAncestorsThatWouldChange(): string[] {
    const found: string[] = [];
    const seen = new Set<Vertex>([this]);
    const queue: Vertex[] = this.parents.map((edge) => edge.from);
    while (queue.length > 0) {
      const vertex = queue.shift() as Vertex;
      if (seen.has(vertex)) continue;
      seen.add(vertex);
      if (vertex.#wouldChange) found.push(vertex.id);
      else for (const edge of vertex.parents) queue.push(edge.from);
    }
    return found;
  }

  /**
   * A run that waits for limits, semaphores, a timeout, a reversal or refresh
   * bookkeeping. Retries loop here (not recurse), so a resource that retries
   * forever holds one pending call, not one more per attempt.
   */
  async #processWithWaits(instance: Instance, apply: boolean): Promise<void> {
    for (;;) {
      const waits = this.#env.waitSignal();
      const outcome = await this.#attemptWithWaits(instance, apply, waits);
      if (outcome === 'done') return;
      await this.#untilTimedOutCallEnded(waits);
      if (!(await this.#waitToRetry(waits))) return;
    }
  }

  /**
   * A retry after a timeout waits for the timed-out call to end (its abort
   * stops it: a command's group is killed, after its grace), so that two
   * runs of one command never overlap; a call that ignores its abort is
   * given up on after TIMED_OUT_CALL_WAIT_MS, with a warning.
   */
  async #untilTimedOutCallEnded(waits: AbortSignal): Promise<void> {
    const ending = this.#timedOutCallEnding;
    this.#timedOutCallEnding = undefined;
    if (ending === undefined) return;
    // A stop or a swap cuts the wait short (the retry is then deferred or dropped).
    const done = new AbortController();
    const givenUp = sleep(TIMED_OUT_CALL_WAIT_MS, false, { signal: AbortSignal.any([waits, done.signal]) }).catch(() => true);
    const ended = await Promise.race([ending.then(() => true), givenUp]);
    done.abort();
    if (!ended) this.#log('warn', `the timed-out checkApply has not ended after ${TIMED_OUT_CALL_WAIT_MS / 1000} s; trying again while it runs on`);
  }

  /** One attempt of #processWithWaits: 'retry' when it failed and may be tried again. */
  async #attemptWithWaits(instance: Instance, apply: boolean, waits: AbortSignal): Promise<'done' | 'retry'> {
    let release: (() => void) | undefined;
    let refreshing = false;
    let recorded: Record<string, unknown> | undefined;
    let intent = false;
    try {
      if (this.#limiter) await this.#limiter.take(waits);
      const semas = this.#env.globalSema ? [...this.meta.sema, this.#env.globalSema] : this.meta.sema;
      if (semas.length > 0) release = await this.#env.semaphores.acquireAll(semas, waits);
      if (waits.aborted) {
        release?.();
        this.#deferForSwap();
        return 'done';
      }
      if (apply && this.meta.reverse && this.definition.reversible && !this.#reversalChecked) {
        const subject = this.#reversalSubject(instance);
        if (this.#env.reversals.has(this.id)) await extendReversal(subject, this.#env.reversals);
        else recorded = await recordReversal(subject, this.#env.reversals);
        this.#reversalChecked = true;
      }
      refreshing = apply && this.refreshPending();
      this.#refreshesSeen = this.#env.refreshes.sentCount(this.id);
      intent = apply && this.children.some((edge) => edge.notify);
      if (intent) await this.#env.refreshes.setIntent(this.id);
      if (waits.aborted) {
        // Stopped (or a swap began) while the reversal or the intent was
        // written: the check does not start. A forced stop found no call to
        // abort, and one started now would be waited for, for ever if it
        // hangs (a test caught it under load).
        if (intent) await this.#env.refreshes.clearIntent(this.id).catch(() => undefined);
        release?.();
        this.#deferForSwap();
        return 'done';
      }
    } catch (error) {
      release?.();
      if (waits.aborted && !(error instanceof EngineError)) {
        // A retry held back by `limit` (or a semaphore) when the run stops: its last failure stands, as in a retry delay.
        if (this.#env.stopSignal.aborted && this.#lastError && !this.#closed) this.#failForGood(this.#lastError);
        else this.#deferForSwap();
        return 'done';
      }
      // A reversal or refresh intent that could not be stored fails the run like checkApply would.
      return this.#checkFailed(error, apply, waits) ? 'retry' : 'done';
    }
    const controller = this.#beginCheck();
    let converged: boolean;
    try {
      converged = await callResource(this.id, 'checkApply', () => instance.checkApply(apply, controller.signal), this.meta.timeout, controller);
    } catch (error) {
      release?.();
      if (recorded && (await dropReversalIfUnchanged(this.#reversalSubject(instance), recorded, this.#env.reversals))) {
        this.#reversalChecked = false;
      }
      // A check that failed by itself refreshes nobody (as in mgmt): the intent
      // is for a check cut off mid-change (a crash, a forced stop), not for a
      // failure. But a group that failed for some members and changed others
      // owes their refresh: its children get it when they next run.
      if (intent && !controller.signal.aborted) {
        if (changedOtherMembers(instance, error)) await this.#persistRefreshes(false, true, false);
        await this.#env.refreshes.clearIntent(this.id).catch((cleared: unknown) => this.#log('error', `could not persist a refresh: ${(cleared as Error).message}`));
      }
      return this.#checkFailed(error, apply, waits) ? 'retry' : 'done';
    }
    release?.();
    await this.#checkSucceeded(instance, apply, converged, refreshing);
    return 'done';
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

  #succeeded(converged: boolean, applied: boolean): void {
    if (!converged) {
      this.#changes++;
      this.#members?.count(this.#instance as Instance | undefined, this.#changes - 1, false);
    }
    if (applied && !converged) this.#env.converger.changed();
    if (this.meta.retryreset) this.#retriesLeft = this.meta.retry;
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
    this.#setState('converged');
    if (applied && !converged) this.#logChanged();
    // Every event re-checks a noop resource that still would change: said
    // once, until it no longer would; for a group, by the members the kind
    // says would change (QA: told of a member that was converged).
    if (!applied && !converged && !this.#wouldChange) {
      const members = this.#members?.lastChangedIds(this.id) ?? [];
      if (members.length === 0) this.#log('warn', 'would change (noop)');
      for (const member of members) this.#log('warn', 'would change (noop)', { resource: member });
    }
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

  /** Noop mode: tells observers what checkApply would have changed. */
  async #describeChange(instance: Instance): Promise<void> {
    if (!instance.describeChange) return;
    let diff: string | undefined;
    // Every param an edge fills, sent yet or not: in a dry run the sender
    // (a password) sends nothing, and the param still holds its placeholder.
    const receiving = new Set(this.parents.flatMap((edge) => (edge.recv === undefined ? [] : [edge.recv])));
    if (receiving.size > 0 && !instance.describeReceivingChange) {
      diff = `(not shown: ${[...receiving].join(', ')} received from another resource)`;
    } else {
      const signal = this.#env.stopSignal;
      const describe = receiving.size > 0 ? () => instance.describeReceivingChange?.(signal, receiving) : () => instance.describeChange?.(signal);
      try {
        diff = await callResource(this.id, 'checkApply', describe, this.meta.timeout);
      } catch (error) {
        diff = `(could not describe the change: ${(error as Error).message})`;
      }
    }
    if (!diff) return;
    // A diff can show what another resource holds as a secret (a password it
    // wrote into this file in an earlier run): told once every resource has
    // started, so each has declared its secrets, and masked.
    await this.#env.startsPending();
    // A group's diff is about the members that would change, not about the group's first resource (QA: pkg[sl] headed cowsay's install).
    const members = this.#members && instance.changedMembers ? this.#members.idsAt(this.id, instance.changedMembers()) : [];
    this.#env.emit({ type: 'diff', id: this.id, diff: this.#env.secrets.mask(diff), ...(members.length > 0 ? { members } : {}) });
  }

  /** A wait was cut short by a swap (or a stop): run again once the swap is done. */
  #deferForSwap(): void {
    if (!this.#env.stopSignal.aborted) this.#dirty = true;
  }

  /** Reversal bookkeeping (see reversal-steps.ts) for this vertex's resource as it is now. */
  #reversalSubject(instance: Instance): ReversalSubject {
    return { id: this.id, kind: this.kind, name: this.name, definition: this.definition, instance, params: this.params };
  }

  /** Fills params from send/recv edges, noting which values changed. */
  #receive(): void {
    let received: Map<string, ReceivedValue> | undefined;
    const parents = this.parents;
    for (let i = 0; i < parents.length; i++) {
      const edge = parents[i] as InEdge;
      if (edge.send === undefined || edge.recv === undefined) continue;
      if (!(edge.send in edge.from.sent)) continue;
      const value = edge.from.sent[edge.send];
      const changed = !isDeepStrictEqual(this.params[edge.recv], value);
      this.params[edge.recv] = value;
      received ??= new Map();
      received.set(edge.recv, { changed });
    }
    this.#received = received ?? NOTHING_RECEIVED;
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
    // Told as the failing member's, when the error names members of the group (see failure).
    const member = this.#namedMember(error);
    // With the code, as the summary's lines carry it in --log-json.
    const fields = { code: error.code, ...(error.hint ? { hint: error.hint } : {}), ...(member ? { resource: member.id } : {}) };
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
    if (this.#checkController) abortCall(this.#checkController, reason);
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
    this.#closed = true;
    this.#wakeRealizedWaiters();
    await this.#watch?.stop();
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
    this.#env.statusChanged(this);
    // Each resource grouped into this vertex changes state with it.
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

/** When a retry comes, as a person reads it: `in 500 ms`, `in 2.5 s`, `at once`. */
function afterDelay(ms: number): string {
  if (ms <= 0) return 'at once';
  return ms < 1000 ? `in ${ms} ms` : `in ${Number((ms / 1000).toFixed(1))} s`;
}

/** One send/recv edge into a resource, as receivesKey lists them. */
export function receiveKey(from: string, send: string, recv: string): string {
  return `${from}\u0000${send}\u0000${recv}`;
}

/** A group's failure that names its failed members (EngineError.members), when its instance says it changed others (changedMembers). */
function changedOtherMembers(instance: Instance, error: unknown): boolean {
  return error instanceof EngineError && error.members !== undefined && (instance.changedMembers?.().length ?? 0) > 0;
}
