import type { AnyResourceDefinition } from '@converge/engine-api';
import { resourceId, type GraphWarning, type ResourceSpec } from './spec.js';
import { yaml11Boolean, yaml11BooleanRead } from './yaml11-boolean.js';
import { META_KEYS } from './meta-params.js';
import { nestedYaml11Booleans } from './nested-booleans.js';
import { describeParamPath, paramPathLocation } from './param-path.js';

/** mgmt's metaparams that have no effect here, and why. */
const IGNORED_META: ReadonlyMap<string, string> = new Map([
  ['dollar', "ignored mgmt's metaparam 'dollar': names starting with $ are always accepted here"],
  ['async', "ignored mgmt's metaparam 'async': a graph swap never waits for the running checks of resources it keeps"],
]);

/**
 * By kind, the params that mgmt leaves alone when they hold their zero
 * value (see readLegacyParams), and keys of a param's entries (`*` for
 * each entry of a list). A file's empty path (the name is used), owner,
 * group, mode or source, and no fragments. A virt card's empty mac (mgmt
 * makes one up; here libvirt picks it), and an empty osinit (mgmt's
 * `<init></init>` is no init to libvirt, which uses its own).
 */
const ZERO_VALUE_PARAMS: Readonly<Record<string, readonly string[]>> = {
  file: ['path', 'owner', 'group', 'mode', 'source', 'fragments'],
  virt: ['osinit', 'network/*/mac'],
};

/** The metaparams that take true or false. */
const BOOLEAN_META: ReadonlySet<string> = new Set(['noop', 'retryreset', 'autoedge', 'autogroup', 'rewatch', 'reset', 'hidden', 'reverse', 'realize']);

/**
 * Params that graphs written for older mgmt releases carry, mgmt's own YAML
 * examples among them: `pollint` on any kind, `state: present` and the
 * `send_output`/`send_stdout`/`send_stderr` switches on exec.
 * mgmt loads them without a word; refused here, every such graph would fail
 * to load. They are read for what they meant, with a warning that says what
 * to write instead. Values that meant something else (or that clash with a
 * metaparam) are left in place, to be refused as unknown params with a hint.
 * A kind that declares a param of the same name is left alone.
 */
export function readLegacyParams(
  resource: ResourceSpec,
  definition: AnyResourceDefinition | undefined,
  warnings: GraphWarning[],
): ResourceSpec {
  const declared = (definition?.params.properties ?? {}) as Record<string, unknown>;
  const id = resourceId(resource.kind, resource.name);
  let params: Record<string, unknown> | undefined;
  let meta: Record<string, unknown> | undefined;
  let metaLocations: Map<string, ResourceSpec['location']> | undefined;
  const warn = (param: string, message: string, hint: string): void => {
    warnings.push({ location: resource.paramLocations.get(param) ?? resource.location, resource: id, message, hint });
  };
  const drop = (param: string): void => {
    params ??= { ...resource.params };
    delete params[param];
  };

  const pollint = resource.params['pollint'];
  if (pollint !== undefined && !Object.hasOwn(declared, 'pollint') && Number.isInteger(pollint) && (pollint as number) >= 0) {
    if (pollint === 0) {
      drop('pollint');
      warn('pollint', "ignored 'pollint: 0' (mgmt's old param; 0 meant watch, which is what happens)", 'remove it');
    } else if (!Object.hasOwn(resource.meta, 'poll')) {
      drop('pollint');
      meta = { ...resource.meta, poll: pollint };
      metaLocations = new Map(resource.metaLocations);
      metaLocations.set('poll', resource.paramLocations.get('pollint') ?? resource.location);
      warn('pollint', `read 'pollint: ${pollint}' as meta: {poll: ${pollint}} (mgmt's old param)`, `write meta: {poll: ${pollint}} instead`);
    }
  }

  const state = resource.params['state'];
  if (resource.kind === 'exec' && !Object.hasOwn(declared, 'state') && state === 'present') {
    drop('state');
    warn('state', "ignored 'state: present' (mgmt's old exec param; an exec has no state)", 'remove it');
  }

  // mgmt's exec runs its name when cmd is empty, as when it is left out.
  if (resource.kind === 'exec' && resource.params['cmd'] === '') {
    drop('cmd');
    warn('cmd', "read 'cmd: \"\"' as cmd not set: the name is run, as mgmt does", 'leave cmd out to run the name');
  }

  // mgmt's file builds its path from `dirname` and `basename` when given (a folder ending in /, a name not starting with /).
  let paramLocations: Map<string, ResourceSpec['location']> | undefined;
  if (resource.kind === 'file' && !Object.hasOwn(declared, 'dirname') && !Object.hasOwn(declared, 'basename')) {
    const built = mgmtFilePath(resource);
    // The parts that build the path: one written empty is mgmt's unset, and takes no part.
    const given = (['dirname', 'basename'] as const).filter((part) => typeof mgmtPathPart(part, resource.params[part]) === 'string');
    const from = given[0] ?? 'dirname';
    if (built === 'invalid') {
      // Only the part written wrong stays, to be refused (as unknown, with a hint that says the rule).
      for (const part of ['dirname', 'basename'] as const) if (Object.hasOwn(resource.params, part) && mgmtPathPart(part, resource.params[part]) !== 'invalid') drop(part);
    } else if (built === 'unset') {
      // Both empty or null: mgmt's unset, and the path is as written.
      for (const part of ['dirname', 'basename'] as const) {
        if (!Object.hasOwn(resource.params, part)) continue;
        drop(part);
        warn(part, `read '${part}' (empty) as not set, as mgmt does`, `remove ${part}`);
      }
    } else if (built !== undefined) {
      for (const part of ['dirname', 'basename']) drop(part);
      (params ??= { ...resource.params })['path'] = built;
      paramLocations = new Map(resource.paramLocations);
      paramLocations.set('path', resource.paramLocations.get(from) ?? resource.location);
      warn(from, `read ${givenAsPath(given)}: ${JSON.stringify(built)}, as mgmt builds it`, `write path: ${JSON.stringify(built)} instead`);
    }
  }

  // mgmt's kinds leave a param alone when it holds its zero value (mgmt's
  // own copies of a resource write them all: `fragments: []`, `mac: ""`).
  // Read as not set, as `null` is: an empty fragments list was read as a
  // join of nothing, and emptied the file; a virt card's `mac: ""` was
  // refused (QA).
  for (const place of ZERO_VALUE_PARAMS[resource.kind] ?? []) {
    const [param = '', ...inside] = place.split('/');
    const value = (params ?? resource.params)[param];
    if (!Object.hasOwn(declared, param) || value === undefined) continue;
    if (inside.length === 0) {
      const list = (declared[param] as { type?: unknown }).type === 'array';
      if (list ? !Array.isArray(value) || value.length > 0 : value !== '') continue;
      drop(param);
      const written = list ? `${param}: []` : `${param}: ""`;
      warn(param, `read '${written}' as ${param} not set, as mgmt does`, `remove ${param}, or give it a value`);
      continue;
    }
    // Inside a param, left empty (null) is mgmt's zero value too: a card's `mac:` is no MAC there, not the empty text.
    const empty = pathsMatching(value, inside, [param]).filter((path) => ['', null].includes(valueAt(value, path.slice(1)) as string | null));
    if (empty.length === 0) continue;
    const copy = structuredClone(value) as Record<string, unknown>;
    for (const path of empty) {
      const key = path[path.length - 1] as string;
      const written = valueAt(value, path.slice(1)) === null ? 'null' : '""';
      delete (valueAt(copy, path.slice(1, -1)) as Record<string, unknown>)[key];
      warnings.push({
        location: paramPathLocation(resource, path),
        resource: id,
        message: `${describeParamPath(resource.params, path)}: read '${key}: ${written}' as ${key} not set, as mgmt does`,
        hint: `remove ${key}, or give it a value`,
      });
    }
    (params ??= { ...resource.params })[param] = copy;
  }

  // mgmt's exec sends its output only when asked; converge's always sends it, so the switch says nothing here.
  if (resource.kind === 'exec') {
    for (const param of ['send_output', 'send_stdout', 'send_stderr']) {
      if (Object.hasOwn(declared, param) || !Object.hasOwn(resource.params, param)) continue;
      drop(param);
      warn(param, `ignored '${param}' (mgmt's switch; converge's exec always sends output, stdout, stderr and exitcode)`, 'remove it');
    }
  }

  // `param: null` (or a bare `param:`) is how mgmt's graphs leave a param
  // unset: read so, unless the kind takes null as a value.
  for (const [param, value] of Object.entries(params ?? resource.params)) {
    // An undeclared one stays, to be refused as unknown (a typo must not pass as "unset").
    if (value !== null || !Object.hasOwn(declared, param) || acceptsNull(declared[param])) continue;
    params ??= { ...resource.params };
    delete params[param];
    warn(param, `read '${param}: null' as ${param} not set`, `remove ${param}, or give it a value`);
  }

  // YAML 1.1 booleans (yes, no, on, off, y, n), which mgmt's YAML reader
  // takes as booleans and YAML 1.2 as strings: where a boolean is declared,
  // read as mgmt reads them, with a warning. Not quoted ones: text to both.
  for (const [param, value] of Object.entries(params ?? resource.params)) {
    const truth = yaml11Boolean(value);
    if (truth === undefined || (declared[param] as { type?: unknown } | undefined)?.type !== 'boolean' || resource.quotedBooleanWords?.has(param)) continue;
    params ??= { ...resource.params };
    params[param] = truth;
    const { message, hint } = yaml11BooleanRead(`${param}: ${String(value)}`, param, truth);
    warn(param, message, hint);
  }
  // The same at any depth inside a param, where its schema takes a boolean
  // (`filesystem: [{read_only: yes}]`), as mgmt's reader does: told at the word's own line.
  for (const [param, value] of Object.entries(params ?? resource.params)) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(declared, param)) continue;
    const words = nestedYaml11Booleans(declared[param], value, param, resource.quotedBooleanWords);
    if (words.length === 0) continue;
    params ??= { ...resource.params };
    const copy = structuredClone(value) as Record<string, unknown>;
    for (const { path, written, truth } of words) {
      const [, ...inside] = path;
      setInside(copy, inside, truth);
      // A list's entry has no key to name (`flags: [yes]`).
      const key = Array.isArray(valueAt(value, inside.slice(0, -1))) ? undefined : inside.at(-1);
      const { message, hint } = yaml11BooleanRead(key === undefined ? written : `${key}: ${written}`, key, truth);
      warnings.push({ location: paramPathLocation(resource, path), resource: id, message: `${describeParamPath(resource.params, path)}: ${message}`, hint });
    }
    params[param] = copy;
  }
  // mgmt's `meta: {poll: }` (null) leaves it unset, as for params; `dollar`
  // and `async` are mgmt metaparams that change nothing here.
  for (const [key, value] of Object.entries(meta ?? resource.meta)) {
    // An unknown one stays, to be refused as unknown (a typo must not pass as "unset"), as for params.
    const unset = value === null && (META_KEYS.includes(key) || IGNORED_META.has(key));
    const ignored = unset ? `read 'meta: {${key}: null}' as ${key} not set` : IGNORED_META.get(key);
    if (ignored === undefined) continue;
    meta ??= { ...resource.meta };
    delete meta[key];
    warnings.push({ location: resource.metaLocations.get(key) ?? resource.location, resource: id, message: ignored, hint: `remove ${key}` });
  }
  for (const [key, value] of Object.entries(meta ?? resource.meta)) {
    const truth = yaml11Boolean(value);
    if (truth === undefined || !BOOLEAN_META.has(key) || resource.quotedBooleanWords?.has(`meta/${key}`)) continue;
    meta ??= { ...resource.meta };
    meta[key] = truth;
    const location = resource.metaLocations.get(key) ?? resource.location;
    warnings.push({ location, resource: id, ...yaml11BooleanRead(`meta: {${key}: ${String(value)}}`, key, truth) });
  }

  if (!params && !meta) return resource;
  return {
    ...resource,
    params: params ?? resource.params,
    meta: meta ?? resource.meta,
    metaLocations: metaLocations ?? resource.metaLocations,
    paramLocations: paramLocations ?? resource.paramLocations,
  };
}

/** The paths below `at` that `pattern` names in `value` (keys, and `*` for each entry of a list), where a value is written. */
function pathsMatching(value: unknown, pattern: readonly string[], at: readonly string[]): string[][] {
  const [segment, ...rest] = pattern;
  if (segment === undefined) return [[...at]];
  if (value === null || typeof value !== 'object') return [];
  const keys = segment === '*' ? (Array.isArray(value) ? value.map((_, index) => String(index)) : []) : Object.hasOwn(value, segment) ? [segment] : [];
  return keys.flatMap((key) => pathsMatching((value as Record<string, unknown>)[key], rest, [...at, key]));
}

/** The value at `path` (keys and list indexes) inside `root`. */
function valueAt(root: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, segment) => (node as Record<string, unknown>)[segment], root);
}

/** Sets `value` at `path` (keys and list indexes) inside `root`, which the path was found in. */
function setInside(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  (valueAt(root, path.slice(0, -1)) as Record<string, unknown>)[path[path.length - 1] as string] = value;
}

/** A `dirname` or `basename` as mgmt takes it: unset when empty or null, else valid (a folder ending in /, a name not starting with /) or not. */
function mgmtPathPart(part: 'dirname' | 'basename', value: unknown): string | undefined | 'invalid' {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return 'invalid';
  return (part === 'dirname' ? value.endsWith('/') : !value.startsWith('/')) ? value : 'invalid';
}

/** What the parts given make of the path (QA: "dirname and basename" was said when only basename was given). */
function givenAsPath(given: ReadonlyArray<'dirname' | 'basename'>): string {
  if (given.length === 2) return 'dirname and basename as path';
  return given[0] === 'dirname' ? 'dirname as the folder of path' : 'basename as the last part of path';
}

/**
 * The path mgmt's file resource uses when `dirname` or `basename` is
 * given: the path (or name) with its folder or its last part replaced; a
 * folder's last part keeps its slash. Undefined when neither is written;
 * 'unset' when both are written empty (mgmt's unset); 'invalid' when one
 * is not as mgmt requires.
 */
function mgmtFilePath(resource: ResourceSpec): string | undefined | 'invalid' | 'unset' {
  const { path } = resource.params;
  if (!Object.hasOwn(resource.params, 'dirname') && !Object.hasOwn(resource.params, 'basename')) return undefined;
  const dirname = mgmtPathPart('dirname', resource.params['dirname']);
  const basename = mgmtPathPart('basename', resource.params['basename']);
  if (dirname === 'invalid' || basename === 'invalid') return 'invalid';
  if (dirname === undefined && basename === undefined) return 'unset';
  const whole = typeof path === 'string' && path !== '' ? path : resource.name;
  // As mgmt splits it: a trailing slash stays with the last part.
  const cut = whole.slice(0, -1).lastIndexOf('/') + 1;
  return (dirname ?? whole.slice(0, cut)) + (basename ?? whole.slice(cut));
}

const EXPORT_MARK = '@@';

export function hasExportMark(name: string): boolean {
  return name.startsWith(EXPORT_MARK);
}

/** A resource's name as the graph is read: without mgmt's export mark. */
export function nameAsRead(name: string): string {
  return hasExportMark(name) ? name.slice(EXPORT_MARK.length) : name;
}

/**
 * mgmt's old mark of an exported resource, `@@` before its name: read as
 * the name without it and `meta: {hidden: true, export: ['*']}` (with a
 * warning), which is what it meant: published for every host, applied
 * where a `collect:` takes it (this host's own included), not otherwise.
 */
export function readExportMark(resource: ResourceSpec, warnings: GraphWarning[]): ResourceSpec {
  if (!hasExportMark(resource.name)) return resource;
  const name = nameAsRead(resource.name);
  const id = resourceId(resource.kind, name);
  const own = Object.hasOwn(resource.meta, 'export');
  const exportTo = own ? resource.meta['export'] : ['*'];
  const read = own ? 'hidden, exported as its meta: {export} says' : "with meta: {hidden: true, export: ['*']}";
  warnings.push({
    location: resource.location,
    resource: id,
    message: `read the name '${resource.name}' as '${name}' ${read} (mgmt's old mark of an exported resource: applied where a collect: takes it, this host's own included)`,
    hint: `name it '${name}' and add meta: {hidden: true, export: ['*']} (see "Several hosts" in the README)`,
  });
  return { ...resource, name, meta: { ...resource.meta, hidden: true, export: exportTo } };
}

/** Whether a declared param's schema takes null (then `param: null` is a value, not "unset"). */
function acceptsNull(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const { type, anyOf } = schema as { type?: unknown; anyOf?: unknown };
  if (type === 'null' || (Array.isArray(type) && type.includes('null'))) return true;
  return Array.isArray(anyOf) && anyOf.some(acceptsNull);
}
