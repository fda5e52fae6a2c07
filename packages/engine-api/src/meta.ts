/**
 * Metaparams: the engine-level settings every resource has, written under
 * `meta:` in a graph. Names and units follow mgmt's YAML graphs.
 */
export interface MetaParams {
  /** Check only; never change anything (checkApply is called with apply=false). */
  readonly noop: boolean;
  /** How many times a failing checkApply, and (with a budget of its own) a failing watch, is retried; -1 retries forever. */
  readonly retry: number;
  /** Reset the retry budgets (checkApply's and the watch's) after every successful checkApply. */
  readonly retryreset: boolean;
  /** Milliseconds to wait between retries (of checkApply and of the watch). */
  readonly delay: number;
  /** Milliseconds a single checkApply may take before it is aborted and failed; 0 = no limit. */
  readonly timeout: number;
  /** Seconds between polls instead of using the resource's watch; 0 = use watch. */
  readonly poll: number;
  /** Most checkApply runs per second (token bucket); Infinity = no limit. */
  readonly limit: number;
  /** With `limit`: runs that may come back to back before `limit` paces them (the token bucket size; 0 counts as 1). */
  readonly burst: number;
  /** Semaphores to hold while running checkApply: `id` (size 1) or `id:N`. */
  readonly sema: readonly string[];
  /** Let the autoedge pass add edges to and from this resource. */
  readonly autoedge: boolean;
  /** Let the autogroup pass group this resource with others. */
  readonly autogroup: boolean;
  /** Restart a failed watch for ever, backing off, instead of failing the resource (takes precedence over `retry`). */
  readonly rewatch: boolean;
  /** Forget cached state when this resource is replaced in a graph swap. */
  readonly reset: boolean;
  /** Not run on this host (mgmt's meaning): in the graph for edges and export only. */
  readonly hidden: boolean;
  /** When the resource leaves the graph, undo what it did (reversible kinds). */
  readonly reverse: boolean;
  /** A graph swap that would remove or replace this resource first lets it converge once. */
  readonly realize: boolean;
  /** Hosts this resource is exported to (`*` = all); empty = not exported. */
  readonly export: readonly string[];
}

/** The metaparams a resource gets when its graph says nothing. */
export const DEFAULT_META: MetaParams = Object.freeze({
  noop: false,
  retry: 0,
  retryreset: false,
  delay: 0,
  timeout: 0,
  poll: 0,
  limit: Number.POSITIVE_INFINITY,
  burst: 0,
  sema: Object.freeze([]) as readonly string[],
  autoedge: true,
  autogroup: true,
  rewatch: false,
  reset: false,
  hidden: false,
  reverse: false,
  realize: false,
  export: Object.freeze([]) as readonly string[],
});
