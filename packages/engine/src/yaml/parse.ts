import { yaml11Boolean, yaml11BooleanRead } from '../graph/yaml11-boolean.js';
import { EngineError, type SourceLocation } from '@converge/engine-api';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node, type YAMLError, type YAMLMap } from 'yaml';
import { GraphLoadError, inFileOrder } from '../graph/load-error.js';
import type { CollectSpec, EdgeEndSpec, EdgeSpec, GraphSpec, KindMention, ResourceSpec } from '../graph/spec.js';
import { SCHEDULE_STRATEGIES, type ScheduleSpec, type ScheduleStrategy } from '../cluster/scheduler.js';
import { LEADING_ZERO_AS_WRITTEN } from './leading-zero.js';
import { checkText } from './text-check.js';
import { parseGraphYamlFast } from './fast-parse.js';
import { addNestedLocations } from './nested-locations.js';
import { addScalarTexts, type ScalarForms } from './scalar-texts.js';
import { unclosedStart } from './unclosed-start.js';
import { checkDocumentSafety, isForbiddenKey, MAX_DEPTH } from './yaml-safety.js';
import {
  describeNode,
  entriesOf,
  expectBoolean,
  expectMap,
  expectSeq,
  expectName,
  expectString,
  isNullNode,
  knownEntries,
  type Entry,
  type ShapeContext,
} from './yaml-shape.js';
import { locationAt, locationOf, report, type YamlSource } from './yaml-source.js';
import { PlainValueReader } from './yaml-values.js';
import { overIndentedKeyAfter, overIndentedKeyAt } from './over-indented.js';
import { tabInBlockScalarAt, type TabInBlock } from './tab-in-block.js';
import { tabLineAsKey } from './tab-key.js';
import { keyWithoutColonAt } from './missing-colon.js';
import { dashReadAsKey, dashReadAsKind, dashWithoutSpace, dashWithoutSpaceAt } from './dash-key.js';
import { duplicateKeys, isResourcesMap, type DuplicateKey } from './duplicate-key.js';

const TOP_LEVEL_KEYS = ['graph', 'comment', 'resources', 'edges', 'plugins', 'collect', 'schedule'] as const;
/** Top-level keys that, written under `resources:`, would be read as kinds. */
const MISPLACED_TOP_LEVEL_KEYS: readonly string[] = TOP_LEVEL_KEYS.filter((key) => key !== 'resources');

/**
 * Top-level keys starting with `x-` are the graph writer's own and are
 * ignored (as in Compose files): a place for YAML anchors shared by
 * resources (`x-defaults: &defaults {...}`), or notes for other tools.
 * Any other unknown key is still refused, so a typo is caught.
 */
function isExtensionKey(key: string): boolean {
  return key.startsWith('x-');
}
const SCHEDULE_KEYS = ['strategy', 'max'] as const;
const COLLECT_KEYS = ['kind', 'pattern'] as const;
const EDGE_KEYS = ['name', 'from', 'to', 'notify', 'send', 'recv'] as const;
// `res` is mgmt's older name for `kind` in an edge's end (read as kind, with a warning).
const EDGE_END_KEYS = ['kind', 'name', 'res'] as const;

/** mgmt's yamlgraph keys converge does not take, with what to do instead. */
const UNSUPPORTED_TOP_LEVEL: Readonly<Record<string, string>> = {
  remote: "`remote` is mgmt's way to run a graph on other hosts over SSH, which converge does not do: remove it, and run converge on each host (or join them with --seeds and `converge deploy`)",
};

/**
 * Parses a graph written in mgmt's yamlgraph format (plus `plugins:` and
 * edge `send`/`recv`). Everything wrong is reported at once, each problem at
 * its file:line:column; throws GraphLoadError.
 */
export function parseGraphYaml(text: string, file: string): GraphSpec {
  const textProblem = checkText(text, file);
  if (textProblem) throw new GraphLoadError([textProblem]);
  return parseGraphYamlFast(text, file, () => parseGraphYamlPrecisely(text, file)) ?? parseGraphYamlPrecisely(text, file);
}

/** The precise parser: keeps every node's position, reports every problem. */
export function parseGraphYamlPrecisely(text: string, file: string): GraphSpec {
  const textProblem = checkText(text, file);
  if (textProblem) throw new GraphLoadError([textProblem]);

  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, {
    lineCounter,
    schema: 'core',
    customTags: (tags) => [LEADING_ZERO_AS_WRITTEN, ...(Array.isArray(tags) ? tags : [])],
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
  });
  const start: SourceLocation = { file, line: 1, column: 1 };
  const first = Array.isArray(documents) ? documents[0] : undefined;
  if (!first) throw new GraphLoadError([shapeError('the graph file is empty', start, 'write at least `graph: NAME`')]);

  const source: YamlSource = { file, doc: first, lineCounter, problems: [] };
  if (documents.length > 1) {
    const second = documents[1]?.range[0] ?? 0;
    report(source, 'ERR_GRAPH_SHAPE', `the file holds ${documents.length} YAML documents; a graph file holds one`,
      locationAt(source, second), "remove the extra '---' separators");
  }
  const toldOverIndented = new Set<number>();
  let duplicates: Map<number, DuplicateKey> | undefined;
  for (const error of toldErrors(first.errors)) {
    const [message, hint] = syntaxProblem(error.message);
    const quoteMissing = UNCLOSED_QUOTE.test(message);
    if (quoteMissing || UNCLOSED_FLOW.test(message)) {
      // Said where it was opened; what the parser stumbled on after it follows from it and is not told.
      reportUnclosed(source, text, error.pos[0], quoteMissing);
      break;
    }
    const tab = tabInBlockScalarAt(text, error.pos[0]);
    if (tab) {
      // The parser ends the block at that line and reads the rest of it as a key: what it says after that follows from the tab.
      reportTabInBlock(source, tab);
      break;
    }
    // `file` above its list, `content |` before its block: the parser reads on as a value over several lines, and trips over each.
    const noColon = keyWithoutColonAt(text, error.pos[0]);
    if (noColon) {
      const message = noColon.after === '' ? `'${noColon.key}' needs a colon after it, as the key of the list below it` : `'${noColon.key}' needs a colon before its${noColon.after}`;
      report(source, 'ERR_YAML_SYNTAX', message, locationAt(source, noColon.offset), `write \`${noColon.key}:${noColon.after}\``);
      break;
    }
    // `-name: b` for `- name: b`, with its params under it: the parser's messages from there on (a key indented deeper, a list as a key) follow from it.
    const dash = dashWithoutSpaceAt(text, error.pos[0]);
    if (dash) {
      const told = dash.asKind ? dashReadAsKind(dash.meant) : dashReadAsKey(dash.meant);
      report(source, dash.asKind ? 'ERR_GRAPH_SHAPE' : 'ERR_YAML_SYNTAX', told.message, locationAt(source, dash.offset), told.hint);
      break;
    }
    if (error.code === 'DUPLICATE_KEY') {
      duplicates ??= duplicateKeys(first);
      reportDuplicateKey(source, duplicates.get(error.pos[0]), error.pos[0], message, hint);
      continue;
    }
    const deeper = IMPLICIT_KEY_SPLIT.test(message)
      ? overIndentedKeyAfter(text, error.pos[0])
      : /^All mapping items must start at the same column/.test(message)
        ? overIndentedKeyAt(text, error.pos[0])
        : undefined;
    if (deeper) {
      // The parser says it twice, at the line above, in its own terms; the line to fix is the deeper one.
      if (!toldOverIndented.has(deeper.offset)) {
        report(source, 'ERR_YAML_SYNTAX', `'${deeper.key}' is indented deeper than the key above it`, locationAt(source, deeper.offset),
          `line it up with the key above it (column ${deeper.column}); a value over several lines is written after | or in quotes`);
      }
      toldOverIndented.add(deeper.offset);
      continue;
    }
    report(source, 'ERR_YAML_SYNTAX', message, locationAt(source, error.pos[0]), hint);
  }
  // Unresolved tags are reported by the safety check with a better message.
  for (const warning of first.warnings) {
    if (warning.code !== 'TAG_RESOLVE_FAILED') {
      report(source, 'ERR_YAML_SYNTAX', firstLine(warning.message), locationAt(source, warning.pos[0]), 'rewrite the YAML there as plain keys, lists and values');
    }
  }
  // A document with syntax errors has a guessed structure: reporting shape
  // problems in it would only add noise.
  if (first.errors.length > 0 || !checkDocumentSafety(source)) throw new GraphLoadError(inFileOrder(source.problems));

  const ctx: ShapeContext = { source, values: new PlainValueReader(source), warnings: [], unreadResources: 0 };
  const spec = readGraph(ctx, first.contents as Node | null);
  if (source.problems.length > 0 || !spec) throw new GraphLoadError(inFileOrder(source.problems), spec, ctx.unreadResources > 0);
  return spec;
}

function readGraph(ctx: ShapeContext, root: Node | null): GraphSpec | undefined {
  if (isNullNode(ctx, root)) {
    report(ctx.source, 'ERR_GRAPH_SHAPE', 'the graph file is empty', locationOf(ctx.source, root), 'write at least `graph: NAME`');
    return undefined;
  }
  const map = expectMap(ctx, root, 'the graph file', 'a graph file is a mapping with the keys graph, resources and edges');
  if (!map) return undefined;
  const top = knownEntries(ctx, map, TOP_LEVEL_KEYS, 'the graph', UNSUPPORTED_TOP_LEVEL, { test: isExtensionKey, told: 'keys of your own start with x- (converge ignores them)' });

  const graphEntry = top.get('graph');
  let name: string | undefined;
  if (graphEntry) name = expectName(ctx, graphEntry.value, "'graph' (the graph's name)", (text) => `graph ${text}`);
  else report(ctx.source, 'ERR_GRAPH_SHAPE', "the graph has no 'graph' key", locationOf(ctx.source, map), 'name the graph: `graph: NAME`');

  const commentEntry = top.get('comment');
  const comment = commentEntry && !isNullNode(ctx, commentEntry.value) ? expectString(ctx, commentEntry.value, "'comment'", true) : undefined;
  const resourcesEntry = top.get('resources');
  const { resources, kindKeys } = resourcesEntry ? readResources(ctx, resourcesEntry.value) : { resources: [], kindKeys: [] };
  const edgesEntry = top.get('edges');
  const edges = edgesEntry ? readEdges(ctx, edgesEntry.value) : [];
  const pluginsEntry = top.get('plugins');
  const { plugins, pluginLocations } = pluginsEntry ? readPlugins(ctx, pluginsEntry.value) : { plugins: [], pluginLocations: [] };
  const collectEntry = top.get('collect');
  const collect = collectEntry ? readCollect(ctx, collectEntry.value) : [];
  const scheduleEntry = top.get('schedule');
  const schedule = scheduleEntry ? readSchedule(ctx, scheduleEntry.value) : undefined;

  if (name === undefined) return undefined;
  return {
    name,
    ...(comment === undefined ? {} : { comment }),
    file: ctx.source.file,
    resources,
    ...(kindKeys.length > 0 ? { kindKeys } : {}),
    edges,
    plugins,
    ...(plugins.length > 0 ? { pluginLocations } : {}),
    ...(collect.length > 0 ? { collect } : {}),
    ...(schedule ? { schedule } : {}),
    ...(ctx.warnings.length > 0 ? { warnings: ctx.warnings } : {}),
  };
}

function readResources(ctx: ShapeContext, node: Node | null): { resources: ResourceSpec[]; kindKeys: KindMention[] } {
  const resources: ResourceSpec[] = [];
  const kindKeys: KindMention[] = [];
  if (isNullNode(ctx, node)) return { resources, kindKeys };
  const byKind = expectMap(ctx, node, "'resources'", 'list resources by kind: `resources: {file: [{name: ..., ...}]}`');
  if (!byKind) {
    ctx.unreadResources++;
    return { resources, kindKeys };
  }
  let resourceAbove = false;
  for (const entry of entriesOf(ctx, byKind)) {
    const kind = entry.key.trim();
    if (kind === '') {
      report(ctx.source, 'ERR_GRAPH_SHAPE', 'a resource kind must not be empty', entry.keyLocation, 'write the kind as the key, e.g. file:');
      ctx.unreadResources++;
      continue;
    }
    if (MISPLACED_TOP_LEVEL_KEYS.includes(kind)) {
      // `edges:` two spaces in: not a kind, and not a plugin to install.
      report(ctx.source, 'ERR_GRAPH_SHAPE', `'${kind}' is a top-level key, indented under resources:`, entry.keyLocation,
        `move ${kind}: to column 1, as resources: is, and the lines under it ${entry.keyLocation.column - 1} columns left with it`);
      continue;
    }
    const meant = dashWithoutSpace(kind);
    if (meant !== undefined) {
      const told = dashReadAsKind(meant);
      report(ctx.source, 'ERR_GRAPH_SHAPE', told.message, entry.keyLocation, told.hint);
      ctx.unreadResources++;
      continue;
    }
    const value = ctx.values.deref(entry.value);
    // Only below a resource: the first kind's `noop: [a]` is resources written wrong.
    const misplaced = resourceAbove ? misplacedParamItem(ctx, value) : undefined;
    if (misplaced) {
      // Told once, at the key (not once for each item of a list).
      const shape = isSeq(value) ? `mappings, not ${describeNode(misplaced)}` : `a list, not ${describeNode(misplaced)}`;
      report(ctx.source, 'ERR_GRAPH_SHAPE', `the resources of kind '${kind}' must be ${shape}`, entry.keyLocation,
        `'${kind}' stands where kinds go (under resources:): if it is a param of the resource above, indent it as far as that resource's name`);
      ctx.unreadResources++;
      continue;
    }
    // Checked at its key, whatever its list holds: a misspelt kind is told there, also when none of its entries could be read.
    kindKeys.push({ kind, location: entry.keyLocation });
    const list = isNullNode(ctx, entry.value) ? undefined : expectSeq(ctx, entry.value, `the resources of kind '${kind}'`, `write a list: \`${kind}: [{name: ..., ...}]\``);
    if (!list && !isNullNode(ctx, entry.value)) ctx.unreadResources++;
    else if (list && list.items.length > 0) resourceAbove = true;
    for (const item of list?.items ?? []) {
      const resource = readResource(ctx, kind, item as Node | null);
      if (resource) resources.push(resource);
      else ctx.unreadResources++;
    }
  }
  return { resources, kindKeys };
}

/**
 * What shows that a value where a kind's list goes is a param of the
 * resource above, written one level too far left (`state: exists`,
 * `meta: {retry: 2}`, `args: [a, b]`): the value itself, or a list's first
 * item that is no mapping. A mapping with a name is one resource written
 * without its list, and a list of mappings holds resources: undefined.
 */
function misplacedParamItem(ctx: ShapeContext, value: Node | null | undefined): Node | undefined {
  if (isScalar(value)) return value.value === null ? undefined : value;
  if (isMap(value)) return value.has('name') ? undefined : value;
  if (!isSeq(value)) return undefined;
  const items = value.items.map((item) => ctx.values.deref(item as Node | null));
  return items.some((item) => isMap(item)) ? undefined : (items.find((item) => item !== null && item !== undefined) ?? undefined);
}

function readResource(ctx: ShapeContext, kind: string, node: Node | null): ResourceSpec | undefined {
  const map = expectMap(ctx, node, `a resource of kind '${kind}'`, 'each resource is a mapping with a name and its params');
  if (!map) return undefined;
  const location = locationOf(ctx.source, node);
  let name: string | undefined;
  let sawName = false;
  const params: Record<string, unknown> = {};
  const paramLocations = new Map<string, SourceLocation>();
  const keyLocations = new Map<string, SourceLocation>();
  const forms: ScalarForms = { texts: new Map(), quotedBooleanWords: new Set() };
  let meta: { values: Record<string, unknown>; locations: Map<string, SourceLocation>; keyLocations?: Map<string, SourceLocation> } = { values: {}, locations: new Map() };
  for (const entry of entriesOf(ctx, map)) {
    if (entry.key === 'name') {
      sawName = true;
      name = expectName(ctx, entry.value, `the name of a resource of kind '${kind}'`, (text) => `${kind}[${text}]`);
    } else if (entry.key === 'meta') {
      meta = readMeta(ctx, kind, entry.value) ?? meta;
      // An unknown metaparam is told at its key (meta/KEY), as its value may start on a later line.
      for (const [key, keyLocation] of meta.keyLocations ?? []) keyLocations.set(`meta/${key}`, keyLocation);
      // Under `meta/`, which no param path starts with (meta is never a param): a metaparam's number as written, for its errors.
      addScalarTexts(ctx, 'meta', entry.value, forms);
    } else if (!isForbiddenKey(entry.key)) {
      params[entry.key] = ctx.values.read(entry.value);
      paramLocations.set(entry.key, entry.valueLocation);
      // An unknown param is told at its key: its value may start on a later line (`contnet: |`).
      keyLocations.set(entry.key, entry.keyLocation);
      addNestedLocations(ctx, entry.key, entry.value, paramLocations, keyLocations);
      addScalarTexts(ctx, entry.key, entry.value, forms);
    }
  }
  if (!sawName) {
    const misspelt = Object.keys(params).find((key) => key.toLowerCase() === 'name');
    const hint = misspelt === undefined ? 'add `name: ...`' : `write its '${misspelt}' key in lower case: \`name: ...\``;
    report(ctx.source, 'ERR_GRAPH_SHAPE', `a resource of kind '${kind}' has no name`, location, hint);
  }
  if (name === undefined) return undefined;
  return {
    kind,
    name,
    params,
    meta: meta.values,
    location,
    paramLocations,
    ...(keyLocations.size > 0 ? { keyLocations } : {}),
    metaLocations: meta.locations,
    ...(forms.texts.size > 0 ? { scalarTexts: forms.texts } : {}),
    ...(forms.quotedBooleanWords.size > 0 ? { quotedBooleanWords: forms.quotedBooleanWords } : {}),
  };
}

function readMeta(ctx: ShapeContext, kind: string, node: Node | null) {
  if (isNullNode(ctx, node)) return undefined;
  const map = expectMap(ctx, node, `'meta' of a resource of kind '${kind}'`, 'write metaparams as a mapping: `meta: {retry: 3}`');
  if (!map) return undefined;
  const values: Record<string, unknown> = {};
  const locations = new Map<string, SourceLocation>();
  const keyLocations = new Map<string, SourceLocation>();
  for (const entry of entriesOf(ctx, map)) {
    if (isForbiddenKey(entry.key)) continue;
    values[entry.key] = ctx.values.read(entry.value);
    locations.set(entry.key, entry.valueLocation);
    keyLocations.set(entry.key, entry.keyLocation);
  }
  return { values, locations, keyLocations };
}

function readEdges(ctx: ShapeContext, node: Node | null): EdgeSpec[] {
  if (isNullNode(ctx, node)) return [];
  const list = expectSeq(ctx, node, "'edges'", 'write a list: `edges: [{from: {kind: ..., name: ...}, to: {...}}]`');
  const edges: EdgeSpec[] = [];
  for (const item of list?.items ?? []) {
    const edge = readEdge(ctx, item as Node | null);
    if (edge) edges.push(edge);
  }
  return edges;
}

function readEdge(ctx: ShapeContext, node: Node | null): EdgeSpec | undefined {
  const map = expectMap(ctx, node, 'an edge', 'an edge is a mapping with from, to and optionally name, notify, send, recv');
  if (!map) return undefined;
  const location = locationOf(ctx.source, node);
  const fields = knownEntries(ctx, map, EDGE_KEYS, 'an edge');
  const optionalString = (key: string): string | undefined => {
    const entry = fields.get(key);
    return entry ? expectString(ctx, entry.value, `the edge's '${key}'`) : undefined;
  };
  const name = optionalString('name');
  const from = readEdgeEnd(ctx, map, fields.get('from')?.value, 'from');
  const to = readEdgeEnd(ctx, map, fields.get('to')?.value, 'to');
  const notifyEntry = fields.get('notify');
  const notify = notifyEntry && !isNullNode(ctx, notifyEntry.value) ? readNotify(ctx, notifyEntry) : false;
  const send = optionalString('send');
  const recv = optionalString('recv');
  if (!from || !to || notify === undefined) return undefined;
  if ((fields.has('send') && send === undefined) || (fields.has('recv') && recv === undefined)) return undefined;
  if (fields.has('name') && name === undefined) return undefined;
  return {
    ...(name === undefined ? {} : { name }),
    from,
    to,
    notify,
    ...(send === undefined ? {} : { send }),
    ...(recv === undefined ? {} : { recv }),
    location,
  };
}

/** `notify: true`, or a YAML 1.1 boolean (`yes`) as mgmt reads it, with a warning. */
function readNotify(ctx: ShapeContext, entry: Entry): boolean | undefined {
  const written = ctx.values.read(entry.value);
  const node = ctx.values.deref(entry.value);
  // Quoted ("yes"), it is text to mgmt's reader too: refused as `"true"` is.
  const truth = isScalar(node) && node.type === 'PLAIN' ? yaml11Boolean(written) : undefined;
  if (truth === undefined) return expectBoolean(ctx, entry.value, "the edge's 'notify'");
  ctx.warnings.push({ location: entry.valueLocation, resource: 'edge', ...yaml11BooleanRead(`notify: ${String(written)}`, 'notify', truth) });
  return truth;
}

function readEdgeEnd(ctx: ShapeContext, edge: YAMLMap, node: Node | null | undefined, end: 'from' | 'to'): EdgeEndSpec | undefined {
  if (node === undefined) {
    report(ctx.source, 'ERR_GRAPH_SHAPE', `the edge has no '${end}'`, locationOf(ctx.source, edge), `add \`${end}: {kind: ..., name: ...}\``);
    return undefined;
  }
  const map = expectMap(ctx, node, `the edge's '${end}'`, `write \`${end}: {kind: ..., name: ...}\``);
  if (!map) return undefined;
  const fields = knownEntries(ctx, map, EDGE_END_KEYS, `the edge's '${end}'`);
  const res = fields.get('res');
  if (res && !fields.has('kind')) {
    // The hint names the key only: the kind's value may yet be lowercased (kind-case.ts), with a hint of its own.
    ctx.warnings.push({
      location: res.keyLocation,
      resource: 'edge',
      message: `read '${end}: {res: ...}' as '${end}: {kind: ...}' (mgmt's older name for it)`,
      hint: 'write kind: in place of res:',
    });
  } else if (res) {
    report(ctx.source, 'ERR_GRAPH_SHAPE', `the edge's '${end}' has both 'kind' and 'res' (mgmt's older name for kind)`, res.keyLocation, 'remove res');
  }
  const part = (key: 'kind' | 'name'): string | undefined => {
    const entry = fields.get(key) ?? (key === 'kind' ? res : undefined);
    if (entry) return key === 'name' ? expectName(ctx, entry.value, `the edge's '${end}.name'`, () => `the edge's '${end}'`) : expectString(ctx, entry.value, `the edge's '${end}.${key}'`);
    report(ctx.source, 'ERR_GRAPH_SHAPE', `the edge's '${end}' has no '${key}'`, locationOf(ctx.source, node), `add \`${key}: ...\``);
    return undefined;
  };
  const kind = part('kind');
  const name = part('name');
  return kind === undefined || name === undefined ? undefined : { kind, name };
}

function readPlugins(ctx: ShapeContext, node: Node | null): Pick<GraphSpec, 'plugins' | 'pluginLocations'> {
  const plugins: string[] = [];
  const pluginLocations: SourceLocation[] = [];
  if (isNullNode(ctx, node)) return { plugins, pluginLocations };
  const list = expectSeq(ctx, node, "'plugins'", 'list plugin package names: `plugins: [converge-res-foo]`');
  for (const item of list?.items ?? []) {
    const name = expectString(ctx, item as Node | null, 'a plugin package name');
    if (name === undefined || plugins.includes(name)) continue;
    plugins.push(name);
    pluginLocations.push(locationOf(ctx.source, item as Node | null));
  }
  return { plugins, pluginLocations };
}

function readCollect(ctx: ShapeContext, node: Node | null): CollectSpec[] {
  if (isNullNode(ctx, node)) return [];
  const hint = 'list what to collect: `collect: [{kind: file, pattern: "/etc/app/*"}]`';
  const list = expectSeq(ctx, node, "'collect'", hint);
  const collect: CollectSpec[] = [];
  for (const item of list?.items ?? []) {
    const map = expectMap(ctx, item as Node | null, "a 'collect' entry", hint);
    if (!map) continue;
    const fields = knownEntries(ctx, map, COLLECT_KEYS, "a 'collect' entry");
    const kindEntry = fields.get('kind');
    const kind = kindEntry ? expectString(ctx, kindEntry.value, "the collect entry's 'kind'") : undefined;
    if (!kindEntry) report(ctx.source, 'ERR_GRAPH_SHAPE', "the collect entry has no 'kind'", locationOf(ctx.source, map), 'add `kind: KIND`');
    const patternEntry = fields.get('pattern');
    // Empty, as left out, means every name (as in mgmt).
    const written = patternEntry ? expectString(ctx, patternEntry.value, "the collect entry's 'pattern'", true) : '*';
    const pattern = written?.trim() === '' ? '*' : written;
    if (kind !== undefined && pattern !== undefined) collect.push({ kind, pattern, location: locationOf(ctx.source, map) });
  }
  return collect;
}

function readSchedule(ctx: ShapeContext, node: Node | null): ScheduleSpec | undefined {
  const hint = 'write `schedule: {strategy: first, max: 1}` (strategies: ' + SCHEDULE_STRATEGIES.join(', ') + ')';
  const map = expectMap(ctx, node, "'schedule'", hint);
  if (!map) return undefined;
  const fields = knownEntries(ctx, map, SCHEDULE_KEYS, "'schedule'");
  const strategyEntry = fields.get('strategy');
  const strategy = strategyEntry ? expectString(ctx, strategyEntry.value, "the schedule's 'strategy'") : 'first';
  if (strategy !== undefined && !SCHEDULE_STRATEGIES.includes(strategy as ScheduleStrategy)) {
    report(ctx.source, 'ERR_GRAPH_SHAPE', `unknown schedule strategy '${strategy}'`, strategyEntry?.valueLocation ?? locationOf(ctx.source, map), hint);
    return undefined;
  }
  const maxEntry = fields.get('max');
  const max = maxEntry ? ctx.values.read(maxEntry.value) : 1;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
    report(ctx.source, 'ERR_GRAPH_SHAPE', "the schedule's 'max' must be a whole number >= 1", maxEntry?.valueLocation ?? locationOf(ctx.source, map), hint);
    return undefined;
  }
  return strategy === undefined ? undefined : { strategy: strategy as ScheduleStrategy, max };
}

/**
 * The YAML parser recurses per nesting level and reports running out of
 * stack (thousands of nested brackets) as a syntax error in the engine's own
 * words; say instead what is wrong with the graph.
 */
/** The parser's words for a [ or { that is never closed, and for a quote. */
const UNCLOSED_FLOW = /^Flow (sequence|map|mapping) in block collection must|^Missing closing [\]}]|^Unexpected end of flow/i;
const UNCLOSED_QUOTE = /^Missing closing ["']?quote/i;

function reportUnclosed(source: YamlSource, text: string, position: number, quote: boolean): void {
  const opened = unclosedStart(text, position);
  const where = Math.min(opened?.index ?? position, text.length - 1);
  const quoteMark = opened?.char === '"' || opened?.char === "'" ? opened.char : undefined;
  if (quote || quoteMark) {
    report(source, 'ERR_YAML_SYNTAX', `this ${quoteMark ?? 'quote'} is never closed`, locationAt(source, where),
      `end the value with ${quoteMark ?? 'the same quote'}; a quote inside it is written \\" in "…" and '' in '…'`);
    return;
  }
  const bracket = opened === undefined ? 'a [ or {' : `this ${opened.char}`;
  report(source, 'ERR_YAML_SYNTAX', `${bracket} is never closed`, locationAt(source, where),
    `close it with ${opened?.char === '{' ? '}' : ']'} (over several lines, indent them more than its key), or write the entries as \`- item\` lines`);
}

/**
 * The parser's errors worth telling: where a line is indented with a tab,
 * only those lines. The parser reads the rest of such a line as something
 * else (a list under a key taken as a key itself, a key over two lines), and
 * what it says of that follows from the tab (QA: a tab before `- name: a`
 * gave four problems, the first of them not the tab). Once the tabs are
 * gone, any other problem is told on the next try.
 */
function toldErrors(errors: readonly YAMLError[]): readonly YAMLError[] {
  const tabs = errors.filter((error) => error.code === 'TAB_AS_INDENT');
  return tabs.length > 0 ? tabs : errors;
}

/** A line of a block scalar that starts with a tab: one problem for the block, naming its other such lines. */
function reportTabInBlock(source: YamlSource, tab: TabInBlock): void {
  const asKey = tabLineAsKey(tab);
  if (asKey) {
    // Not "indent it to the block's indentation": that makes it a line of the text, and the key is no longer set.
    const whose = asKey.ofResource ? 'this resource' : `the mapping that holds '${tab.header.replace(/:.*$/, '')}'`;
    report(source, 'ERR_YAML_SYNTAX', `this line starts with a tab, which YAML does not allow as indentation; it looks like the key '${asKey.key}' of ${whose}, after the block '${tab.header}' (line ${tab.headerLine})`,
      locationAt(source, tab.offset),
      `indent it with spaces like ${asKey.ofResource ? "the resource's" : 'its'} other keys (${asKey.indent} spaces): \`${asKey.fixed}\`; indented ${tab.indent} spaces, it would be a line of the block's text`);
    return;
  }
  const more = tab.laterLines.length === 0 ? '' : ` (so ${tab.laterLines.length === 1 ? 'does line' : 'do lines'} ${tab.laterLines.join(', ')})`;
  report(source, 'ERR_YAML_SYNTAX', `this line starts with a tab, which YAML does not allow as indentation of a block scalar ('${tab.header}' on line ${tab.headerLine})${more}`,
    locationAt(source, tab.offset),
    `indent the line with spaces to the block's indentation (${tab.indent}), then the tab: \`${tab.fixed}\` (\\t being the tab); or write the value as a double-quoted string, with \\t for each tab`);
}

/** "Map keys must be unique", with the key and where it was first written (the parser names neither). */
function reportDuplicateKey(source: YamlSource, duplicate: DuplicateKey | undefined, offset: number, message: string, hint: string): void {
  if (!duplicate) {
    report(source, 'ERR_YAML_SYNTAX', message, locationAt(source, offset), hint);
    return;
  }
  const firstLine = locationAt(source, duplicate.firstOffset).line;
  report(source, 'ERR_YAML_SYNTAX', `the key '${duplicate.key}' is written twice in one mapping (first on line ${firstLine})`, locationAt(source, offset),
    isResourcesMap(source.doc, duplicate.map)
      ? `resources of one kind go in one list under one '${duplicate.key}:': move this list's entries into the one on line ${firstLine}, and remove this '${duplicate.key}:'`
      : 'remove one of them: a mapping holds each key once');
}

/** The parser's words when a line goes on a `key: value` line's value with a key of its own. */
const IMPLICIT_KEY_SPLIT = /^Implicit keys need to be on a single line|^Nested mappings are not allowed in compact mappings/;

/** Hints for the YAML parser's most common complaints, by the start of its message. */
const SYNTAX_HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Map keys must be unique/, 'a key appears twice in one mapping: keep one (resources of one kind go in one list under one `kind:` key)'],
  // Before the indentation hints, whose words ("indentation") the parser's message about tabs holds too.
  [/\btabs?\b/i, 'indent with spaces: YAML does not allow tabs there'],
  [
    /must start at the same column|bad indentation|indentation|^Sequence item without - indicator|^A block sequence may not be used as an implicit map key|^Implicit map keys need to be followed by map values/i,
    'indent the items of one list (or the keys of one mapping) to the same column, with spaces: a `- ` item further left or right than its neighbours ends the list',
  ],
  [IMPLICIT_KEY_SPLIT, 'a `key: value` pair is missing its line break or a value holds `: `: quote the value'],
  [/^Missing closing|^Unexpected end|flow collection/i, 'close every [ with ] and every { with }, and every quote'],
  [/^Plain value cannot start with/, 'quote the value: a plain value cannot start with that character'],
];

/** For a syntax error no hint above fits. */
const GENERAL_SYNTAX_HINT = 'fix the YAML at that spot: quote a value that holds special characters (: # , [ ] { } & * ! | > \' " % @ `)';

function syntaxProblem(message: string): [message: string, hint: string] {
  if (/maximum call stack/i.test(message)) {
    return [`nesting deeper than ${MAX_DEPTH} levels`, 'no graph needs this much nesting: flatten the value'];
  }
  const line = firstLine(message);
  return [line, SYNTAX_HINTS.find(([pattern]) => pattern.test(line))?.[1] ?? GENERAL_SYNTAX_HINT];
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function shapeError(message: string, location: SourceLocation, hint: string): EngineError {
  return new EngineError('ERR_GRAPH_SHAPE', message, { phase: 'load', location, hint });
}
