import { posix } from 'node:path';
import { DEFAULT_META, type World } from '@converge/engine-api';
import { isDeepStrictEqual } from 'node:util';
import type { CollectSpec, GraphWarning, ResolvedGraph, ResourceSpec } from '../graph/spec.js';
import { clusterKeys } from './cluster-keys.js';

/** A resource one host published for others, as stored in the world. */
export interface ExportedResource {
  readonly host: string;
  readonly kind: string;
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Metaparams the graph set (defaults and `export` left out). */
  readonly meta: Readonly<Record<string, unknown>>;
  /** The hosts it is for; `*` = every host. */
  readonly to: readonly string[];
  /** The id of the run that published it: two runs given one host name tell each other apart by it. */
  readonly instance?: string;
}

/** The resources of `graph` with `meta: {export: [...]}`, as `host` publishes them. */
export function exportsOf(graph: ResolvedGraph, host: string): ExportedResource[] {
  const exported: ExportedResource[] = [];
  for (const resource of graph.resources.values()) {
    if (resource.meta.export.length === 0) continue;
    const meta: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(resource.meta)) {
      // Collected elsewhere to run there: not exported again. `hidden` is
      // published (its own host collects it back, as in mgmt) and dropped on collect.
      if (key === 'export') continue;
      // Only what differs from the defaults: Infinity (no limit) has no JSON form.
      if (!isDeepStrictEqual(value, DEFAULT_META[key as keyof typeof DEFAULT_META])) meta[key] = value;
    }
    exported.push({ host, kind: resource.kind, name: resource.name, params: resource.params, meta, to: resource.meta.export });
  }
  return exported;
}

/**
 * Makes the world hold exactly `resources` as this host's exports: writes
 * new and changed ones, deletes those the graph no longer exports.
 */
export async function publishExports(world: World, host: string, resources: readonly ExportedResource[]): Promise<void> {
  const existing = await world.list(clusterKeys.exportsOf(host));
  const wanted = new Map(resources.map((resource) => [clusterKeys.exported(host, resource.kind, resource.name), JSON.stringify(resource)]));
  for (const [key, value] of wanted) if (existing.get(key) !== value) await world.set(key, value);
  for (const key of existing.keys()) if (!wanted.has(key)) await world.delete(key);
}

/** Reads a stored export; undefined when it is not one (a foreign or broken key). */
export function parseExport(value: string): ExportedResource | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<ExportedResource>;
    const isRecord = (item: unknown): item is Record<string, unknown> => typeof item === 'object' && item !== null && !Array.isArray(item);
    if (typeof parsed.host !== 'string' || typeof parsed.kind !== 'string' || typeof parsed.name !== 'string') return undefined;
    if (!isRecord(parsed.params) || !isRecord(parsed.meta) || !Array.isArray(parsed.to)) return undefined;
    return { host: parsed.host, kind: parsed.kind, name: parsed.name, params: parsed.params, meta: parsed.meta, to: parsed.to.filter((to) => typeof to === 'string') };
  } catch {
    return undefined;
  }
}

/**
 * Two exports one collector would take as one resource (one `kind[name]`,
 * or, into a folder, one path) that differ in their params or metaparams:
 * `kept` is collected, `dropped` left out (see collectFor).
 */
export interface CollectConflict {
  /** The `collect:` entry that took both. */
  readonly collect: CollectSpec;
  readonly kept: ExportedResource;
  readonly dropped: ExportedResource;
  /** Into a folder: the path both would write. */
  readonly path?: string;
}

/**
 * The exports `host` collects: meant for it (or everyone), from another
 * host or, when hidden (published to run elsewhere, not here), from itself
 * (as mgmt collects from every host), matching one of `collect` by kind and
 * name glob. When two hosts export the same `kind[name]`, the first host by
 * name wins, so every collector picks the same one; so does it when a
 * folder pattern would write two exports to one path (one base name).
 * Each export so left out that differs from the one collected is given to
 * `onConflict` (the same resource from two hosts is no conflict).
 */
export function collectFor(
  host: string,
  collect: readonly CollectSpec[],
  exports: Iterable<ExportedResource>,
  onConflict?: (conflict: CollectConflict) => void,
): ExportedResource[] {
  const matchers = collect.map((entry) => {
    const folder = intoFolder(entry);
    return { entry, kind: entry.kind, name: folder === undefined ? globToRegExp(entry.pattern) : /^/s, folder };
  });
  const candidates = new Map<string, { entry: CollectSpec; folder: string | undefined; each: ExportedResource[] }>();
  for (const exported of exports) {
    if (exported.host === host && exported.meta['hidden'] !== true) continue;
    if (!exported.to.includes('*') && !exported.to.includes(host)) continue;
    const matcher = matchers.find((each) => each.kind === exported.kind && each.name.test(exported.name));
    if (matcher === undefined) continue;
    const placed = matcher.folder === undefined ? exported : placedInto(exported, matcher.folder);
    // Into a folder, two names with one base name would write one path (the collector refused them all, QA): the first host (then name) wins there too.
    const id = matcher.folder === undefined ? `${exported.kind}[${exported.name}]` : `${exported.kind}@${String(placed.params['path'])}`;
    const taken = candidates.get(id) ?? { entry: matcher.entry, folder: matcher.folder, each: [] };
    taken.each.push(placed);
    candidates.set(id, taken);
  }
  const chosen: ExportedResource[] = [];
  for (const { entry, folder, each } of candidates.values()) {
    const [kept, ...others] = each.sort(byHostThenName);
    if (kept === undefined) continue;
    chosen.push(kept);
    for (const dropped of others) {
      if (sameResource(kept, dropped)) continue;
      onConflict?.({ collect: entry, kept, dropped, ...(folder === undefined ? {} : { path: String(kept.params['path']) }) });
    }
  }
  return chosen.sort((a, b) => a.host.localeCompare(b.host) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

function byHostThenName(a: ExportedResource, b: ExportedResource): number {
  return a.host < b.host ? -1 : a.host > b.host ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Whether two exports collected would run as the same resource: their name aside (into a folder), and whether their own host runs them. */
function sameResource(a: ExportedResource, b: ExportedResource): boolean {
  const { hidden: _a, ...metaA } = a.meta;
  const { hidden: _b, ...metaB } = b.meta;
  return isDeepStrictEqual(a.params, b.params) && isDeepStrictEqual(metaA, metaB);
}

/** A conflict as the collecting host tells it, at the `collect:` entry that took both. */
export function collectConflictWarning({ collect, kept, dropped, path }: CollectConflict): GraphWarning {
  const what = isDeepStrictEqual(kept.params, dropped.params) ? 'metaparams' : 'params';
  const rule = path === undefined ? 'the first host by name wins' : 'the first host by name, then name, wins';
  const both =
    path === undefined
      ? `exported by ${kept.host} and by ${dropped.host} with different ${what}`
      : `exported by ${kept.host}, and ${dropped.kind}[${dropped.name}] by ${dropped.host}, with different ${what}, would both be written to ${path}`;
  return {
    location: collect.location,
    resource: `${kept.kind}[${kept.name}]`,
    message: `${both}: ${path === undefined ? `${kept.host}'s` : 'this one'} is collected (${rule}), ${path === undefined ? `${dropped.host}'s` : 'the other'} is left out`,
    hint: path === undefined ? 'export it from one host only, or give each its own name' : 'give each file its own base name, or export it from one host only',
  };
}

/**
 * mgmt's meaning of a `file` collect pattern that is a folder (`/tmp/in/`):
 * every exported file is collected and written into that folder, under
 * its own base name. Any other pattern is a glob on names.
 */
function intoFolder(entry: CollectSpec): string | undefined {
  return entry.kind === 'file' && entry.pattern.startsWith('/') && entry.pattern.endsWith('/') && !/[*?]/.test(entry.pattern) ? entry.pattern : undefined;
}

/** An exported file resource moved into `folder`, keeping its base name (and its name). */
function placedInto(exported: ExportedResource, folder: string): ExportedResource {
  const written = typeof exported.params['path'] === 'string' ? exported.params['path'] : exported.name;
  const isDir = written.endsWith('/');
  const base = posix.basename(written);
  return { ...exported, params: { ...exported.params, path: `${folder}${base}${isDir ? '/' : ''}` } };
}

/** A collected resource as a graph entry; its location names the host it came from. */
export function exportToSpec(exported: ExportedResource): ResourceSpec {
  const location = { file: `<exported by ${exported.host}>`, line: 0, column: 0 };
  // Collected to run here: hidden was the exporter's way of not running it itself.
  const { hidden: _hidden, ...meta } = exported.meta;
  return {
    kind: exported.kind,
    name: exported.name,
    params: exported.params,
    meta,
    location,
    paramLocations: new Map(),
    metaLocations: new Map(),
  };
}

/** `*` matches any run of characters, `?` one; everything else is literal. */
export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}
