import { posix } from 'node:path';
import { DEFAULT_META, type World } from '@converge/engine-api';
import { isDeepStrictEqual } from 'node:util';
import type { CollectSpec, ResolvedGraph, ResourceSpec } from '../graph/spec.js';
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
 * The exports `host` collects: meant for it (or everyone), from another
 * host or, when hidden (published to run elsewhere, not here), from itself
 * (as mgmt collects from every host), matching one of `collect` by kind and
 * name glob. When two hosts
 * export the same `kind[name]`, the first host by name wins, so every
 * collector picks the same one; so does it when a folder pattern would
 * write two exports to one path (one base name).
 */
export function collectFor(host: string, collect: readonly CollectSpec[], exports: Iterable<ExportedResource>): ExportedResource[] {
  const matchers = collect.map((entry) => {
    const folder = intoFolder(entry);
    return { kind: entry.kind, name: folder === undefined ? globToRegExp(entry.pattern) : /^/s, folder };
  });
  const chosen = new Map<string, ExportedResource>();
  for (const exported of exports) {
    if (exported.host === host && exported.meta['hidden'] !== true) continue;
    if (!exported.to.includes('*') && !exported.to.includes(host)) continue;
    const matcher = matchers.find((each) => each.kind === exported.kind && each.name.test(exported.name));
    if (matcher === undefined) continue;
    const placed = matcher.folder === undefined ? exported : placedInto(exported, matcher.folder);
    // Into a folder, two names with one base name would write one path (the collector refused them all, QA): the first host (then name) wins there too.
    const id = matcher.folder === undefined ? `${exported.kind}[${exported.name}]` : `${exported.kind}@${String(placed.params['path'])}`;
    const current = chosen.get(id);
    if (!current || exported.host < current.host || (exported.host === current.host && exported.name < current.name)) chosen.set(id, placed);
  }
  return [...chosen.values()].sort((a, b) => a.host.localeCompare(b.host) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
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
