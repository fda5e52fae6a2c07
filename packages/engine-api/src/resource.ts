import type { Static, TObject } from '@sinclair/typebox';
import type { ResourceContext } from './context.js';

/**
 * An identity a resource claims or looks for, used to add edges by themselves
 * (autoedges). Two uids match when `kind` and `key` are equal, e.g.
 * `{kind: 'file', key: '/etc/app/'}`.
 */
export interface ResourceUid {
  readonly kind: string;
  readonly key: string;
}

/**
 * A candidate a resource wants an automatic edge with. By default the matched
 * resource goes first (`matched → this`); `reversed` puts this first.
 */
export interface AutoEdgeCandidate extends ResourceUid {
  readonly reversed?: boolean;
}

/**
 * Autoedge search, written as a generator: it yields a batch of candidates
 * and is resumed with one boolean per candidate (whether a managed resource
 * matched it), so a search can stop at the first hit (e.g. the nearest
 * managed ancestor directory).
 */
export type AutoEdgeSearch = Generator<readonly AutoEdgeCandidate[], void, readonly boolean[]>;

/** A problem found by `validate`, optionally about one param. */
export interface ValidationIssue {
  readonly param?: string;
  /**
   * Where inside the param, as keys and list indexes (`[2]` for a list's
   * third entry, `['PATH']` for an env entry): the issue is then told at
   * that entry's line. Since engine API 1.3; an older engine tells it at the param.
   */
  readonly at?: readonly (string | number)[];
  readonly message: string;
  readonly hint?: string;
  /**
   * `warning`: told at its place when the graph loads, and the graph loads
   * all the same (a param that does nothing where it stands, as mgmt allows
   * it). Since engine API 1.8; an older engine refuses it as a problem.
   */
  readonly severity?: 'warning';
}

/** One resource of a kind, as `validateGraph` sees it. */
export interface KindResource<P> {
  readonly name: string;
  readonly params: Readonly<P>;
  /**
   * Its params that an edge fills with a secret (a send whose schema says
   * `secret: true`: a password into a file's content), so that the kind can
   * warn where it would leave the secret readable by others (since engine
   * API 1.16; undefined from older engines, and when none is).
   */
  readonly receivesSecrets?: readonly string[];
}

/** A resource of the graph, of any kind, as `validateGraph` sees the whole graph (engine API 1.13). */
export interface GraphResource {
  readonly kind: string;
  readonly name: string;
  /** Valid for its kind (its `validate` passed), with its defaults filled. */
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * A problem between resources of one kind: about the one at `resource` (an
 * index into what `validateGraph` was given). An index it was not given is
 * the plugin's bug: the graph is refused as when `validateGraph` throws.
 */
export interface GraphValidationIssue extends ValidationIssue {
  readonly resource: number;
}

/** A live resource: one per vertex of the running graph. */
export interface ResourceInstance<P extends object, S extends object> {
  /**
   * Prepares the resource (open handles, read state). A throw fails the
   * resource before it ever ran: nothing of it was applied, its dependents do
   * not run, and `cleanup` is still called.
   */
  init?(ctx: ResourceContext<P, S>): Promise<void> | void;
  /**
   * Watches the real world for changes: calls `ctx.event()` once its watches
   * are live, then on every possible change, and returns when `signal`
   * aborts. Returning early or throwing means the watch died: it is started
   * again after `meta.delay` while `meta.retry` allows (or for ever with
   * `meta: {rewatch: true}`), then the resource fails; the engine is not
   * affected. Kinds with no way to watch omit it and are polled instead.
   */
  watch?(signal: AbortSignal): Promise<void>;
  /**
   * Checks the real state against the params. Returns true when it already
   * matched (nothing was or would be changed). Otherwise, when `apply` is
   * true, makes it match and returns false; when `apply` is false (noop)
   * changes nothing and returns false: a boolean, nothing else (anything
   * else, "false" or undefined from plain JS, fails the check as a throw
   * does, told as a bug of the plugin). One call must converge. A throw means
   * the state is unknown or partly changed: the engine retries per
   * `meta.retry` and `meta.delay`, then fails the resource; its dependents do
   * not run. `signal` aborts on timeout or a forced stop: stop quickly.
   */
  checkApply(apply: boolean, signal: AbortSignal): Promise<boolean> | boolean;
  /**
   * Releases what init and watch took (handles, watchers, children). Called
   * once, after watch has returned. A throw is logged; the resource is gone
   * either way.
   */
  cleanup?(): Promise<void> | void;
  /**
   * Groupable trait: called once, right after `create`, when the autogroup
   * pass merged other resources of this kind into this one. From then on this
   * instance's checkApply (and watch) must handle the children too, e.g. all
   * packages in one transaction. A throw fails the group before it ran.
   */
  group?(children: readonly Readonly<P>[]): void;
  /**
   * Groupable trait, optional (engine API 1.6): after a checkApply of a
   * group that changed something (it returned false, or threw an
   * EngineError that names some members), the members it changed, by
   * position: 0 is this resource, then the children in the order `group`
   * got them. Only those are told `changed`; without this method a change
   * counts for every member.
   */
  changedMembers?(): readonly number[];
  /**
   * Interruptable trait: called on the third stop signal to break out of a
   * long checkApply at once, even at the cost of leaving work half done.
   */
  interrupt?(): void;
  /**
   * Noop dry run: describes what checkApply(apply=true) would change, for
   * `--noop` output (e.g. a unified diff). Must not change anything.
   */
  describeChange?(signal: AbortSignal): Promise<string | undefined>;
  /**
   * Noop dry run of a resource with params an edge fills (since engine API
   * 1.7): as `describeChange`, but `received` names those params. In a dry
   * run the sender sends nothing, so such a param holds a placeholder or an
   * earlier value (perhaps a secret): the description must not show it, nor
   * anything made from it (a diff of received content), and should say it
   * is received. Without this method the engine shows only that the change
   * is not shown.
   *
   * `known` (since engine API 1.18; absent on older engines) names those of
   * `received` that do hold the value the real run would receive: the
   * sender sent it in this dry run (a saved password it keeps). Whether such
   * a param differs from what is there may be told (`content differs`),
   * never its value; a param that is the same is left out, as a literal
   * one would be.
   */
  describeReceivingChange?(signal: AbortSignal, received: ReadonlySet<string>, known?: ReadonlySet<string>): Promise<string | undefined>;
}

/** Edgeable trait: what a resource is, and what it wants edges with. */
export interface EdgeableTrait<P> {
  /** The identities this resource claims (e.g. a file's path). */
  uids(params: Readonly<P>, name: string): readonly ResourceUid[];
  /** The search for resources this one should have edges with. */
  autoEdges(params: Readonly<P>, name: string): AutoEdgeSearch;
}

/**
 * Groupable trait: resources of this kind may merge into one vertex, whose
 * instance receives the others through `ResourceInstance.group` (which the
 * kind's instances must implement).
 */
export interface GroupableTrait<P> {
  /**
   * True when `a` and `b` may be handled by one checkApply. Pure. Called when
   * the graph loads: a throw rejects the graph before anything runs (a bug
   * of the plugin, told at `b`'s resource; on a reload the running graph
   * stays).
   */
  groupCmp(a: Readonly<P>, b: Readonly<P>): boolean;
}

/**
 * Reversible trait: before the first apply the engine asks for params that
 * would restore what was there; when the resource later leaves the graph
 * with `meta: {reverse: true}`, those params are applied once. A group
 * (groupable kinds) is asked once for each member, before the group's first
 * change, with the group's instance and that member's params: each member
 * is put back on its own when it leaves.
 */
export interface ReversibleTrait<P extends object, S extends object> {
  reversal(instance: ResourceInstance<P, S>, params: Readonly<P>): Promise<P | undefined>;
  /**
   * A stored reversal meets a resource that may now manage more than when it
   * was recorded (a param added since, in a swap or a later run). Given the
   * stored params and a fresh `reversal` of the resource as it is now,
   * returns what to store: the stored values kept, what the resource newly
   * manages added from the fresh one. Pure. Without it the stored reversal
   * is kept as it is.
   */
  extend?(stored: Readonly<P>, fresh: Readonly<P>): P;
}

/** Compatible duplicates: two resources of one kind and name that merge. */
export interface MergeableTrait<P> {
  /** Returns the merged params, or undefined when `a` and `b` conflict. Pure. */
  merge(a: Readonly<P>, b: Readonly<P>): P | undefined;
}

/**
 * Everything the engine knows about a resource kind. Make one with
 * `defineResource`; the param type comes from the `params` schema alone.
 */
export interface ResourceDefinition<PS extends TObject = TObject, SS extends TObject = TObject> {
  readonly $$type: '@converge/resource';
  /** The kind written in graphs, e.g. `file` or `docker:container`. */
  readonly kind: string;
  /** One sentence for `--help`, the schema and the graph picture. */
  readonly description?: string;
  /** The params schema: the one source of param types and validation. */
  readonly params: PS;
  /**
   * The param that defaults to the resource's name (`path` for files,
   * `cmd` for exec). The engine fills it in when the graph leaves it out.
   */
  readonly nameParam?: keyof Static<PS> & string;
  /**
   * The values this kind can send, by key (sendable trait). A key whose
   * schema says `secret: true` (e.g. `Type.String({ secret: true })`) sends
   * a secret: wherever the value goes (received into another resource's
   * params), the engine masks it in every log line and error it hands on
   * (since engine API 1.1).
   */
  readonly sends?: SS;
  /**
   * Refreshable trait: the kind acts on `ctx.refresh()`. A function says it
   * per resource, from its params (a domain restarts on a refresh only with
   * `restartonrefresh`; since engine API 1.8: an older engine counts a
   * function as true). A notify edge to a resource that does not act on a
   * refresh gets a warning when the graph loads.
   */
  readonly refreshable?: boolean | ((params: Readonly<Static<PS>>) => boolean);
  /**
   * The kind's changes make nothing that another resource's check could be
   * missing (a folder, a file, a program, a user): a password only keeps
   * and sends a value. In a dry run, a check that failed for want of
   * something (EngineError's `missing`) under such a resource that would
   * change is not counted as waiting for its change: the real run would
   * fail the same way (since engine API 1.14; an older engine counts every
   * kind as one that may make what is missing).
   */
  readonly makesNothingOthersNeed?: boolean;
  /**
   * Checks params beyond their types (conflicts, ranges). Pure: no I/O. A
   * returned issue or a throw rejects the graph before anything runs.
   * `name` is the resource's name, for kinds whose name is what they manage
   * (a container, an image) and is not a param (since engine API 1.4;
   * undefined from older engines). An issue without `param` is about it.
   * A param an edge fills is not known at load: the engine also calls
   * validate with stand-in values of the sent type there, and refuses the
   * graph when all of them break one check that another param settles.
   * Word such a conflict alike whatever the value (and never quote it), or
   * it is told only at run time, with the value received.
   */
  validate?(params: Readonly<Static<PS>>, name?: string): readonly ValidationIssue[] | void;
  /**
   * Checks the resources of this kind in one graph together, for what no
   * single one shows: a folder removed with everything in it and a file in
   * it that must exist. Given every resource of the kind that runs on this
   * host (valid params, defaults filled), after each passed `validate`.
   * Pure: no I/O. An issue rejects the graph before anything runs, told at
   * the resource it names (since engine API 1.7; an older engine ignores it).
   * `graph` is every resource of the graph that runs on this host, of every
   * kind (its own too), for contradictions with another kind's resources:
   * an image removed that a container runs (since engine API 1.13;
   * undefined from older engines). An issue of severity `warning` is told
   * at its place and the graph loads all the same (since engine API 1.16;
   * an older engine refuses it as a problem).
   */
  validateGraph?(resources: readonly KindResource<Static<PS>>[], graph?: readonly GraphResource[]): readonly GraphValidationIssue[];
  /**
   * What a resource of this kind manages, as a key (a file's normalised
   * path): two resources of the kind with the same key under different
   * names would fight over one thing, rewriting it in turn forever, so a
   * graph with both is refused when it loads. Undefined: no claim. Pure.
   * (Since engine API 1.1; an older engine ignores it. `name`, the
   * resource's name, since engine API 1.4.) A stored reversal whose key a
   * resource of the next graph has under another name (a rename) is not
   * put back but passed to that resource.
   */
  identity?(params: Readonly<Static<PS>>, name?: string): string | undefined;
  /**
   * Equality used by graph swap: equal resources keep running untouched.
   * Defaults to deep equality of params.
   */
  cmp?(a: Readonly<Static<PS>>, b: Readonly<Static<PS>>): boolean;
  /**
   * Makes the live resource for one vertex. `params` is owned by the engine:
   * values received through send/recv are written into it before checkApply.
   * A throw fails that resource like a throw from `init`; so does returning
   * no instance (null, undefined, a number, a promise) or one without
   * `checkApply`, told as a bug of the plugin.
   */
  create(params: Readonly<Static<PS>>): ResourceInstance<Static<PS>, Static<SS>>;
  readonly edgeable?: EdgeableTrait<Static<PS>>;
  readonly groupable?: GroupableTrait<Static<PS>>;
  readonly reversible?: ReversibleTrait<Static<PS>, Static<SS>>;
  readonly mergeable?: MergeableTrait<Static<PS>>;
}

/** The params type of a resource definition. */
export type ParamsOf<D> = D extends { readonly params: infer PS extends TObject } ? Static<PS> : never;
/** The send type of a resource definition. */
export type SendsOf<D> = D extends { readonly sends?: infer SS extends TObject } ? Static<SS> : never;

/** Any resource definition, whatever its params. */
// The engine only handles definitions through their schemas, so the concrete
// param types are erased here on purpose.
export type AnyResourceDefinition = ResourceDefinition<TObject, TObject>;

/**
 * Declares a resource kind. The params type of `create`, `validate` and every
 * trait is inferred from the `params` schema.
 */
export function defineResource<PS extends TObject, SS extends TObject = TObject<{}>>(
  definition: Omit<ResourceDefinition<PS, SS>, '$$type'>,
): ResourceDefinition<PS, SS> {
  return Object.freeze({ ...definition, $$type: '@converge/resource' as const });
}

export function isResourceDefinition(value: unknown): value is AnyResourceDefinition {
  return typeof value === 'object' && value !== null && (value as { $$type?: unknown }).$$type === '@converge/resource';
}
