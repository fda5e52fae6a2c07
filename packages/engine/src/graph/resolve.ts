import { EngineError, isEngineError, type AnyResourceDefinition, type MetaParams, type SourceLocation } from '@converge/engine-api';
import { isDeepStrictEqual } from 'node:util';
import type { KindResolver } from '../loader/kind-resolver.js';
import { GraphLoadError, inFileOrder } from './load-error.js';
import { resolveMeta } from './meta-params.js';
import { readExportMark, readLegacyParams } from './legacy-params.js';
import { warnRepeatedEdgeNames } from './edge-names.js';
import { lowercasedCollectKinds, lowercasedEdgeKinds } from './kind-case.js';
import { checkKindGraphs } from './kind-graph-check.js';
import { checkParams } from './param-check.js';
import { receivedParams, resolveEdges } from './resolve-edges.js';
import { checkReceivedConflicts } from './received-conflicts.js';
import { warnNotifyWithoutEffect } from './notify-check.js';
import {
  resourceId,
  type GraphSpec,
  type GraphWarning,
  type ResolvedEdge,
  type ResolvedGraph,
  type ResolvedResource,
  type ResourceSpec,
} from './spec.js';
import { CycleError, topoSort } from './toposort.js';
import { planGraph } from '../runtime/graph-plan.js';
import { pluginCallError } from './plugin-call-failure.js';

/**
 * Validates a parsed graph against its kinds: loads every kind (in
 * parallel), checks params and metaparams, duplicates, edges, send/recv
 * types and cycles. Every problem is collected; throws GraphLoadError.
 */
export interface ResolveOptions {
  /**
   * Read a whole number or a boolean written for a text param as its text,
   * with a warning, as mgmt reads its YAML graphs. For graphs read from
   * YAML; a graph built in code gets its types checked as they are.
   */
  readonly scalarsAsText?: boolean;
}

export async function resolveGraph(spec: GraphSpec, resolver: KindResolver, options: ResolveOptions = {}): Promise<ResolvedGraph> {
  try {
    const graph = await resolveOnce(spec, resolver, options);
    // Warnings, like problems, need the precise parse to say where.
    return graph.warnings && spec.precise ? await resolveOnce(spec.precise(), resolver, options) : graph;
  } catch (error) {
    // A spec from the fast parser has no locations: find the same problems
    // again in the precisely parsed text, which can say where they are.
    if (error instanceof GraphLoadError && spec.precise) return resolveOnce(spec.precise(), resolver, options);
    throw error;
  }
}

async function resolveOnce(spec: GraphSpec, resolver: KindResolver, options: ResolveOptions): Promise<ResolvedGraph> {
  const problems: EngineError[] = [];
  const warnings: GraphWarning[] = [...(spec.warnings ?? [])];
  const collected = lowercasedCollectKinds(spec.collect ?? [], warnings);
  // A collected kind is loaded too: its resources come from other hosts, and a misspelt one would collect nothing, silently.
  // The kinds' keys first: a kind's problem is told where the kind is written.
  const kinds = await resolveKinds([...(spec.kindKeys ?? []), ...spec.resources, ...collected], resolver, problems);
  await checkNamedPlugins(spec, resolver, problems);
  const received = receivedParams(spec.edges);

  const resources = new Map<string, ResolvedResource>();
  const firstSpecs = new Map<string, ResourceSpec>();
  const resourceKinds = new Map<string, string>();
  for (const written of spec.resources) {
    const resource = readLegacyParams(readExportMark(written, warnings), kinds.get(written.kind), warnings);
    const id = resourceId(resource.kind, resource.name);
    resourceKinds.set(id, resource.kind);
    const definition = kinds.get(resource.kind);
    const meta = resolveMeta(resource, id, problems);
    warnRetryWithoutDelay(meta, resource, id, warnings);
    warnVeryFastPoll(meta, resource, id, warnings);
    warnExportedWithoutReceived(meta, resource, id, received.get(id), warnings);
    if (meta.reverse && definition && !definition.reversible) problems.push(notReversibleError(id, resource));
    const params = definition ? checkParams(definition, resource, id, received.get(id) ?? new Set(), problems, warnings, options.scalarsAsText === true) : undefined;
    const first = firstSpecs.get(id);
    if (!first) {
      firstSpecs.set(id, resource);
      if (params) resources.set(id, { id, kind: resource.kind, name: resource.name, params, meta, location: resource.location });
      continue;
    }
    const existing = resources.get(id);
    if (existing && params && isDeepStrictEqual(existing.params, params) && isDeepStrictEqual(existing.meta, meta)) {
      // As mgmt does (graphs put together from parts repeat a resource): the same one twice is one. Said, since it may be a slip.
      warnings.push({
        location: resource.location,
        resource: id,
        message: `declared twice, the same both times (at ${first.location.file}:${first.location.line} and here): read as one, as mgmt does`,
        hint: 'remove one of them',
      });
      continue;
    }
    const mergedParams = definition && existing && params ? mergeDuplicate(definition, existing, params, meta) : undefined;
    if (existing && mergedParams) resources.set(id, { ...existing, params: mergedParams });
    else if (!definition?.mergeable || (existing && params)) problems.push(duplicateError(id, first.location, resource.location, definition, existing && params ? differing(existing, params, meta) : []));
  }

  checkIdentities(resources, kinds, problems);
  const edges = resolveEdges(lowercasedEdgeKinds(spec.edges, new Set(resourceKinds.values()), warnings), resourceKinds, kinds, problems, firstSpecs, warnings);
  // After the edges: a kind is told which of its params receive a secret.
  checkKindGraphs(resources, kinds, firstSpecs, edges, problems, warnings);
  checkHiddenSenders(edges, resources, problems);
  checkReceivedConflicts(edges, resources, kinds, firstSpecs, problems);
  warnRepeatedEdgeNames(spec.edges, warnings);
  warnNotifyWithoutEffect(edges, resources, kinds, warnings);
  checkCycles(resourceKinds.keys(), edges, problems);
  if (problems.length > 0) throw new GraphLoadError(inFileOrder(problems));
  const collect = collected.length > 0 ? { collect: collected } : {};
  const schedule = spec.schedule ? { schedule: spec.schedule } : {};
  const warned = warnings.length > 0 ? { warnings } : {};
  const graph: ResolvedGraph = { name: spec.name, file: spec.file, resources, edges, kinds, ...collect, ...schedule, ...warned };
  try {
    // Autoedges can close a cycle the written edges do not have: found now, with the others.
    planGraph(graph);
  } catch (error) {
    if (isEngineError(error) && error.isInputError) throw new GraphLoadError([error]);
    throw error;
  }
  return graph;
}

/** Loads each distinct kind once, all at the same time; failures point at the kind's first mention. */
async function resolveKinds(
  resources: ReadonlyArray<Pick<ResourceSpec, 'kind' | 'location'>>,
  resolver: KindResolver,
  problems: EngineError[],
): Promise<Map<string, AnyResourceDefinition>> {
  const firstOfKind = new Map<string, Pick<ResourceSpec, 'kind' | 'location'>>();
  for (const resource of resources) if (!firstOfKind.has(resource.kind)) firstOfKind.set(resource.kind, resource);
  const entries = [...firstOfKind.entries()];
  // Through a promise so that a resolver that throws synchronously is handled the same way.
  const outcomes = await Promise.allSettled(entries.map(([kind]) => Promise.resolve().then(() => resolver.resolve(kind))));
  const kinds = new Map<string, AnyResourceDefinition>();
  outcomes.forEach((outcome, index) => {
    const [kind, first] = entries[index] as [string, Pick<ResourceSpec, 'kind' | 'location'>];
    if (outcome.status === 'fulfilled') kinds.set(kind, outcome.value);
    else problems.push(locatedKindError(outcome.reason, kind, first.location));
  });
  return kinds;
}

/** `retry: -1` and no `delay`: a check (or watch) that keeps failing is tried again at once, without end. Said, as it is rarely what is meant. */
function warnRetryWithoutDelay(meta: MetaParams, resource: ResourceSpec, id: string, warnings: GraphWarning[]): void {
  if (meta.retry >= 0 || meta.delay > 0) return;
  warnings.push({
    location: resource.metaLocations.get('retry') ?? resource.location,
    resource: id,
    message: 'retry: -1 with no delay tries a failing check or watch again at once, without end (a failing command then runs many times a second)',
    hint: 'add a pause between tries, in milliseconds: meta: {retry: -1, delay: 1000}',
  });
}

/** Below this, `poll` is more likely a unit mistake (milliseconds written for seconds) than meant. */
const FASTEST_SENSIBLE_POLL_SECONDS = 0.1;

/** `poll` under a tenth of a second: a check (a command, a package query) many times a second. Said, as retry -1 without delay is. */
function warnVeryFastPoll(meta: MetaParams, resource: ResourceSpec, id: string, warnings: GraphWarning[]): void {
  if (meta.poll <= 0 || meta.poll >= FASTEST_SENSIBLE_POLL_SECONDS) return;
  warnings.push({
    location: resource.metaLocations.get('poll') ?? resource.location,
    resource: id,
    message: `poll: ${meta.poll} checks the resource every ${Math.round(meta.poll * 1000 * 1000) / 1000} ms (poll is in seconds)`,
    hint: 'write the interval in seconds, e.g. poll: 5; or leave poll out to watch for changes instead',
  });
}

/**
 * An export carries the params as written: what a resource receives through
 * send/recv (a password into a file's content) stays on its host, so that
 * no secret reaches etcd. Said at load, or a collector's empty file is a
 * mystery.
 */
function warnExportedWithoutReceived(meta: MetaParams, resource: ResourceSpec, id: string, received: ReadonlySet<string> | undefined, warnings: GraphWarning[]): void {
  if (meta.export.length === 0 || received === undefined || received.size === 0) return;
  const params = [...received].sort().join(', ');
  warnings.push({
    location: resource.metaLocations.get('export') ?? resource.location,
    resource: id,
    message: `exported without ${params}, which it receives through send/recv: values received stay on this host, so collectors get it as written`,
    // A kv is what shares a value already: sending it into another one would not help.
    hint: `write ${params} in the graph to export it with them${resource.kind === 'kv' ? '' : ', or share the value through a kv (which etcd holds as it is)'}`,
  });
}

/**
 * A plugin the graph (`plugins:`) or the command (`--plugin`) names that
 * cannot be read is an error where it is named, even when no kind needs it:
 * it was asked for on purpose. The kinds it made fail (it might have been
 * the one to provide them) are not told again, each at its first use.
 */
async function checkNamedPlugins(spec: GraphSpec, resolver: KindResolver, problems: EngineError[]): Promise<void> {
  for (const { index, error, alsoAbout } of (await resolver.unreadablePlugins?.()) ?? []) {
    // At a kind, the error keeps its own cause (a plugin's crash at import) when it has one.
    const told = (problem: EngineError | undefined): boolean => problem?.cause === error || (error.cause !== undefined && problem?.cause === error.cause);
    for (let at = problems.length - 1; at >= 0; at--) if (told(problems[at])) problems.splice(at, 1);
    // The graph's own plugins come first in the resolver's list (loadGraphSpec), then --plugin's, named nowhere in the file.
    const location = spec.pluginLocations?.[index] ?? (alsoAbout === undefined ? undefined : spec.pluginLocations?.[alsoAbout]);
    problems.push(location === undefined ? error : new EngineError(error.code, error.message, { phase: 'load', location, ...(error.hint ? { hint: error.hint } : {}), ...(error.cause === undefined ? {} : { cause: error.cause }) }));
  }
}

function locatedKindError(reason: unknown, kind: string, location: SourceLocation): EngineError {
  if (isEngineError(reason)) {
    return new EngineError(reason.code, reason.message, {
      phase: reason.phase ?? 'load',
      location,
      ...(reason.resource ? { resource: reason.resource } : {}),
      ...(reason.hint ? { hint: reason.hint } : {}),
      cause: reason.cause ?? reason,
    });
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return new EngineError('ERR_PLUGIN_LOAD_FAILED', `kind '${kind}' could not be loaded: ${message}`, {
    phase: 'load',
    location,
    cause: reason,
  });
}

/** Merged params of two declarations of one resource, or undefined when they may not merge. */
function mergeDuplicate(
  definition: AnyResourceDefinition,
  existing: ResolvedResource,
  params: Record<string, unknown>,
  meta: ResolvedResource['meta'],
): Record<string, unknown> | undefined {
  if (!definition.mergeable || !isDeepStrictEqual(existing.meta, meta)) return undefined;
  try {
    return definition.mergeable.merge(existing.params, params) as Record<string, unknown> | undefined;
  } catch {
    return undefined;
  }
}

/** The params and metaparams (as `meta.retry`) in which a second declaration differs from the first; never their values (they can be secrets). */
function differing(existing: ResolvedResource, params: Record<string, unknown>, meta: ResolvedResource['meta']): string[] {
  const names = (a: object, b: object, prefix: string): string[] =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .filter((key) => !isDeepStrictEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
      .map((key) => `${prefix}${key}`);
  return [...names(existing.params, params, ''), ...names(existing.meta, meta, 'meta.')];
}

function duplicateError(id: string, first: SourceLocation, second: SourceLocation, definition: AnyResourceDefinition | undefined, differs: readonly string[]): EngineError {
  const at = (location: SourceLocation): string => `${location.file}:${location.line}`;
  const mergeable = definition?.mergeable !== undefined;
  const differing = differs.length > 0 ? `differing in ${differs.join(', ')}` : '';
  const how = mergeable ? ` with params or metaparams that cannot be merged${differing ? ` (${differing})` : ''}` : differing ? `, ${differing}` : '';
  return new EngineError(
    'ERR_DUPLICATE_RESOURCE',
    `declared twice (at ${at(first)} and ${at(second)})${how}`,
    {
      resource: id,
      phase: 'validate',
      location: second,
      hint: mergeable ? 'make the two declarations agree, or give one another name' : 'remove one of them, or give one another name',
    },
  );
}

/**
 * Two resources of a kind that manage the same thing (the kind's identity,
 * e.g. a file's path) under different names: refused, since each would undo
 * the other's change on every run, forever.
 */
function checkIdentities(
  resources: ReadonlyMap<string, ResolvedResource>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  problems: EngineError[],
): void {
  const claimed = new Map<string, ResolvedResource>();
  for (const resource of resources.values()) {
    const definition = kinds.get(resource.kind);
    // A hidden resource does not run here: it changes nothing another could undo.
    if (!definition?.identity || resource.meta.hidden) continue;
    let identity: string | undefined;
    try {
      identity = definition.identity(resource.params, resource.name);
    } catch (error) {
      problems.push(pluginCallError(resource, 'identity', error));
      continue;
    }
    if (identity === undefined) continue;
    const key = `${resource.kind}\0${identity}`;
    const first = claimed.get(key);
    if (!first) {
      claimed.set(key, resource);
      continue;
    }
    const at = first.location ? ` (at ${first.location.file}:${first.location.line})` : '';
    problems.push(
      new EngineError('ERR_DUPLICATE_RESOURCE', `manages ${identity}, as ${first.id}${at} does: the two would undo each other's changes forever`, {
        resource: resource.id,
        phase: 'validate',
        ...(resource.location ? { location: resource.location } : {}),
        hint: `keep one ${resource.kind} resource for ${identity}`,
      }),
    );
  }
}

/** `meta: {reverse: true}` on a kind that cannot put back what was there: it would silently do nothing. */
function notReversibleError(id: string, resource: ResourceSpec): EngineError {
  return new EngineError('ERR_META_INVALID', `kind '${resource.kind}' cannot be reversed: it has no way to put back what was there`, {
    resource: id,
    phase: 'validate',
    location: resource.metaLocations.get('reverse') ?? resource.location,
    hint: 'remove reverse: true (kinds that take it, like file, say so in their README)',
  });
}

/** A hidden resource does not run, so it never sends: an edge that would receive from it would wait forever. */
function checkHiddenSenders(edges: readonly ResolvedEdge[], resources: ReadonlyMap<string, ResolvedResource>, problems: EngineError[]): void {
  for (const edge of edges) {
    if (edge.send === undefined || !resources.get(edge.from)?.meta.hidden) continue;
    problems.push(
      new EngineError('ERR_SEND_RECV', `${edge.from} is hidden (meta: {hidden: true}): it does not run on this host, so it sends nothing to ${edge.to}`, {
        resource: edge.from,
        phase: 'validate',
        ...(edge.location ? { location: edge.location } : {}),
        hint: 'send from a resource that runs here, or make this one not hidden',
      }),
    );
  }
}

/** ERR_CYCLE over the explicit edges, at the location of one edge of the cycle. */
function checkCycles(ids: Iterable<string>, edges: readonly ResolvedEdge[], problems: EngineError[]): void {
  try {
    topoSort(ids, edges);
  } catch (error) {
    if (!isEngineError(error) || error.code !== 'ERR_CYCLE') throw error;
    const edge = (error instanceof CycleError ? edgeOfCycle(error.cycle, edges) : undefined) ?? edges.find((candidate) => candidate.location);
    problems.push(
      new EngineError('ERR_CYCLE', error.message, {
        phase: 'validate',
        ...(edge?.location ? { location: edge.location } : {}),
        ...(error.hint ? { hint: error.hint } : {}),
      }),
    );
  }
}

/** The first edge of `cycle` (a closed path of ids) written in the graph. */
function edgeOfCycle(cycle: readonly string[], edges: readonly ResolvedEdge[]): ResolvedEdge | undefined {
  const written = new Map<string, ResolvedEdge>();
  for (const edge of edges) if (!written.has(`${edge.from}\0${edge.to}`)) written.set(`${edge.from}\0${edge.to}`, edge);
  for (let index = 0; index + 1 < cycle.length; index += 1) {
    const edge = written.get(`${cycle[index]}\0${cycle[index + 1]}`);
    if (edge) return edge;
  }
  return undefined;
}
