import type { SourceLocation } from '@converge/engine-api';
import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { didYouMean } from '../graph/did-you-mean.js';
import { dashReadAsKeyHint, dashWithoutSpace } from './dash-key.js';
import { isForbiddenKey } from './yaml-safety.js';
import type { PlainValueReader } from './yaml-values.js';
import { locationOf, report, type YamlSource } from './yaml-source.js';
import type { GraphWarning } from '../graph/spec.js';

/** Reads the structural parts of a graph (mappings, lists, strings) and reports wrong types. */
export interface ShapeContext {
  readonly source: YamlSource;
  readonly values: PlainValueReader;
  /** What loads but not as written (mgmt's older spellings), said with where. */
  readonly warnings: GraphWarning[];
  /** Resources written but not read (no name, not a mapping...): edges to them cannot be checked. */
  unreadResources: number;
}

/** One key of a mapping, with the node of its value and where both were written. */
export interface Entry {
  readonly key: string;
  readonly keyLocation: SourceLocation;
  readonly value: Node | null;
  readonly valueLocation: SourceLocation;
}

/** What a node is, in the words of an error message. */
export function describeNode(node: Node | null | undefined): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || value === undefined) return 'nothing (null)';
    if (typeof value === 'string') return `the string '${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
    if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  }
  return 'nothing (null)';
}

function deref(ctx: ShapeContext, node: Node | null | undefined): Node | null {
  return ctx.values.deref(node) ?? null;
}

export function isNullNode(ctx: ShapeContext, node: Node | null | undefined): boolean {
  const target = deref(ctx, node);
  return target === null || (isScalar(target) && target.value === null);
}

export function expectMap(ctx: ShapeContext, node: Node | null | undefined, what: string, hint?: string): YAMLMap | undefined {
  const target = deref(ctx, node);
  if (isMap(target)) return target;
  if (unknownAlias(node, target)) return undefined;
  report(ctx.source, 'ERR_GRAPH_SHAPE', `${what} must be a mapping, not ${describeNode(target)}`, locationOf(ctx.source, node), hint);
  return undefined;
}

export function expectSeq(ctx: ShapeContext, node: Node | null | undefined, what: string, hint?: string): YAMLSeq | undefined {
  const target = deref(ctx, node);
  if (isSeq(target)) return target;
  if (unknownAlias(node, target)) return undefined;
  // `-name: b` under `noop:`: a list item written without the space after its dash.
  const meant = isMap(target) ? target.items.map((pair) => (isScalar(pair.key) && typeof pair.key.value === 'string' ? dashWithoutSpace(pair.key.value) : undefined)).find((key) => key !== undefined) : undefined;
  const dashHint = meant === undefined ? undefined : dashReadAsKeyHint(meant);
  report(ctx.source, 'ERR_GRAPH_SHAPE', `${what} must be a list, not ${describeNode(target)}`, locationOf(ctx.source, node), dashHint ?? hint);
  return undefined;
}

/** An alias that names no anchor: told where it was read, so not again as a value of the wrong shape. */
function unknownAlias(node: Node | null | undefined, target: Node | null | undefined): boolean {
  return isAlias(node) && (target === null || target === undefined);
}

/** A string scalar; reports a missing or non-string value, and an empty one unless `allowEmpty`. */
export function expectString(ctx: ShapeContext, node: Node | null | undefined, what: string, allowEmpty = false): string | undefined {
  const target = deref(ctx, node);
  if (isScalar(target) && typeof target.value === 'string') {
    if (allowEmpty || target.value.trim() !== '') return target.value;
    report(ctx.source, 'ERR_GRAPH_SHAPE', `${what} must not be empty`, locationOf(ctx.source, node), 'write a value there');
    return undefined;
  }
  if (unknownAlias(node, target)) return undefined;
  const written = isScalar(target) && target.value !== null ? String(target.source ?? target.value) : undefined;
  const quote = written === undefined ? '' : ` (quote it to make it a string: '${written}')`;
  const hint = written === undefined ? 'write a text value there' : `write it in quotes: '${written}'`;
  report(ctx.source, 'ERR_GRAPH_SHAPE', `${what} must be a string, not ${describeNode(target)}${quote}`, locationOf(ctx.source, node), hint);
  return undefined;
}

/**
 * A name, as mgmt reads one: text, or a plain number or boolean taken as the
 * text it is written as (`name: 8080` is the name "8080"), with a warning.
 */
export function expectName(ctx: ShapeContext, node: Node | null | undefined, what: string, subject: (name: string) => string): string | undefined {
  const target = deref(ctx, node);
  if (isScalar(target) && (typeof target.value === 'number' || typeof target.value === 'boolean') && typeof target.source === 'string') {
    const text = target.source;
    ctx.warnings.push({ location: locationOf(ctx.source, node), resource: subject(text), message: `read the name ${text} as the text "${text}", as mgmt does`, hint: `quote it to say it is text: "${text}"` });
    return text;
  }
  return expectString(ctx, node, what);
}

export function expectBoolean(ctx: ShapeContext, node: Node | null | undefined, what: string): boolean | undefined {
  const target = deref(ctx, node);
  if (isScalar(target) && typeof target.value === 'boolean') return target.value;
  report(ctx.source, 'ERR_GRAPH_SHAPE', `${what} must be true or false, not ${describeNode(target)}`, locationOf(ctx.source, node), 'write true or false, without quotes');
  return undefined;
}

/** The entries of a mapping whose keys are usable strings (others are reported). */
export function entriesOf(ctx: ShapeContext, map: YAMLMap): Entry[] {
  const entries: Entry[] = [];
  const merged: Entry[] = [];
  for (const pair of map.items as Pair<Node | null, Node | null>[]) {
    if (ctx.values.isMergeKey(pair.key)) {
      // `<<: *defaults`: the anchored mapping's entries, where they were written.
      for (const mergedMap of ctx.values.mergedMaps(pair.value)) merged.push(...entriesOf(ctx, mergedMap as YAMLMap));
      continue;
    }
    const key = ctx.values.key(pair.key);
    if (key === undefined) continue;
    const keyLocation = locationOf(ctx.source, pair.key);
    // `key:` with nothing after it still has a (null) value node; fall back to the key.
    const valueLocation = pair.value?.range ? locationOf(ctx.source, pair.value) : keyLocation;
    entries.push({ key, keyLocation, value: pair.value, valueLocation });
  }
  // Keys written in the mapping win over merged ones; an earlier merged mapping wins over a later one.
  const seen = new Set(entries.map((entry) => entry.key));
  for (const entry of merged) {
    if (seen.has(entry.key)) continue;
    seen.add(entry.key);
    entries.push(entry);
  }
  return entries;
}

/**
 * Reports keys outside `allowed` with a "did you mean"; returns the entries by
 * key. Forbidden keys were reported by the safety check and are dropped here;
 * `ignored` keys (the writer's own) are passed over, and told of in the hint.
 */
export function knownEntries(
  ctx: ShapeContext,
  map: YAMLMap,
  allowed: readonly string[],
  what: string,
  extraHints: Readonly<Record<string, string>> = {},
  ignored: { readonly test: (key: string) => boolean; readonly told: string } | undefined = undefined,
): Map<string, Entry> {
  const byKey = new Map<string, Entry>();
  for (const entry of entriesOf(ctx, map)) {
    if (allowed.includes(entry.key)) {
      byKey.set(entry.key, entry);
      continue;
    }
    if (isForbiddenKey(entry.key) || ignored?.test(entry.key)) continue;
    const hint = extraHints[entry.key] ?? didYouMean(entry.key, allowed) ?? `allowed keys: ${allowed.join(', ')}${ignored ? `; ${ignored.told}` : ''}`;
    report(ctx.source, 'ERR_GRAPH_SHAPE', `unknown key '${entry.key}' in ${what}`, entry.keyLocation, hint);
  }
  return byKey;
}
