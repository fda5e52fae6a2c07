import type { SourceLocation } from '@converge/engine-api';
import { CORE_SCHEMA, load } from 'js-yaml';
import type { CollectSpec, EdgeEndSpec, EdgeSpec, GraphSpec, ResourceSpec } from '../graph/spec.js';
import { FORBIDDEN_KEYS, MAX_DEPTH } from './yaml-safety.js';
import { SCHEDULE_STRATEGIES, type ScheduleSpec, type ScheduleStrategy } from '../cluster/scheduler.js';

/**
 * Anything the fast path leaves to the precise parser: anchors, aliases,
 * tags, merge keys and directives. A false alarm only costs speed.
 */
const NEEDS_PRECISE_PARSER = /(^|[\s,[{])[&*!]|<<|^%/m;

/**
 * A plain number with a leading zero (`mode: 0640`, or `0o640`): read as the string it
 * is written as (see leading-zero.ts), which js-yaml cannot do. A false
 * alarm (such digits inside a longer text) only costs speed.
 */
const LEADING_ZERO_NUMBER = /(^|[\s:,[{-])([-+]?0\d+|0o[0-7]+)[ \t]*($|[,\]}#])/m;

/**
 * A negative zero (`-0.0`): js-yaml keeps its sign, the precise parser reads
 * it as 0 (see yaml-values.ts). Rare enough to leave to the precise parser.
 */
const NEGATIVE_ZERO = /(^|[\s:,[{])-(0+\.?0*|\.0+)([eE][-+]?\d+)?[ \t]*($|[,\]}#])/m;

/**
 * Plain numbers that js-yaml and the precise parser (YAML 1.2's core
 * schema) read apart: binary (`0b11`) and signed hex or octal (`+0x20`),
 * which js-yaml takes as numbers and YAML 1.2 as text; a signed fraction
 * without a leading digit (`-.5`) and an exponent past a double's range
 * (`1e400`) or a number too long for one (300 digits and more), which
 * js-yaml takes as text. Left to the precise parser, so
 * that a value reads the same whatever else the file holds (an anchor
 * elsewhere sends the whole file there). A false alarm only costs speed.
 */
const NUMBER_READ_APART = /(^|[\s:,[{])([-+]?0b|[-+]0[xo]|[-+]\.\d|[-+]?[\d.][\d._]*e[-+]?\d{3}|[-+]?(?:0[xo])?[\da-f._]{300})[^\s,\]}#]*[ \t]*($|[,\]}#])/im;

/**
 * A plain number not written as JavaScript writes it (`0x1A4`, `1e3`,
 * `1.0`, `+7`, or 16 digits and more, which a double may not hold): a
 * text param takes it as written, and an error about it quotes it as
 * written (see ResourceSpec.scalarTexts), which only the precise parser
 * keeps. A false alarm only costs speed.
 */
const NUMBER_WITH_A_FORM = /(^|[\s:,[{])[-+]?(0x[0-9a-f]+|\d[\d_]*\.\d*|\.\d+|\d[\d.]*e[-+]?\d+|\d{16,})[ \t]*($|[,\]}#])|(^|[\s:,[{])\+\d/im;

/**
 * A YAML 1.1 boolean word in quotes (`"yes"`): text, where the plain word
 * is read as a boolean; only the precise parser tells the two apart (see
 * ResourceSpec.quotedBooleanWords). A false alarm only costs speed.
 */
const QUOTED_BOOLEAN_WORD = /["'](y|yes|n|no|on|off)["']/i;

const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set(['graph', 'comment', 'resources', 'edges', 'plugins', 'collect', 'schedule']);
const COLLECT_KEYS: ReadonlySet<string> = new Set(['kind', 'pattern']);
const EDGE_KEYS: ReadonlySet<string> = new Set(['name', 'from', 'to', 'notify', 'send', 'recv']);

type Plain = Record<string, unknown>;

/**
 * The fast path for well-formed graphs: js-yaml (an order of magnitude
 * faster than a parser that keeps every node's position) reads the file,
 * and the graph is built without locations. It returns undefined for
 * anything unusual, and the returned spec carries `precise`, which parses
 * the same text again with exact positions: callers that find a problem use
 * that to report it at its file:line:column.
 */
export function parseGraphYamlFast(text: string, file: string, precise: () => GraphSpec): GraphSpec | undefined {
  if (
    NEEDS_PRECISE_PARSER.test(text) ||
    LEADING_ZERO_NUMBER.test(text) ||
    NEGATIVE_ZERO.test(text) ||
    NUMBER_READ_APART.test(text) ||
    NUMBER_WITH_A_FORM.test(text) ||
    QUOTED_BOOLEAN_WORD.test(text)
  ) {
    return undefined;
  }
  let root: unknown;
  try {
    root = load(text, { schema: CORE_SCHEMA, json: false });
  } catch {
    return undefined;
  }
  if (!isPlainTree(root, 0)) return undefined;
  return buildGraph(root, file, precise);
}

/** Plain data only, keys that cannot reach a prototype, bounded depth. */
function isPlainTree(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (value === null || typeof value !== 'object') return typeof value !== 'function';
  if (Array.isArray(value)) return value.every((item) => isPlainTree(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key) || !isPlainTree((value as Plain)[key], depth + 1)) return false;
  }
  return true;
}

function isMap(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function buildGraph(root: unknown, file: string, precise: () => GraphSpec): GraphSpec | undefined {
  if (!isMap(root) || !Object.keys(root).every((key) => TOP_LEVEL_KEYS.has(key))) return undefined;
  if (!isName(root.graph)) return undefined;
  if (root.comment !== undefined && root.comment !== null && typeof root.comment !== 'string') return undefined;
  const nowhere: SourceLocation = { file, line: 0, column: 0 };
  const resources = buildResources(root.resources, nowhere);
  const edges = buildEdges(root.edges, nowhere);
  const plugins = buildPlugins(root.plugins);
  const collect = buildCollect(root.collect, nowhere);
  const schedule = buildSchedule(root.schedule);
  if (!resources || !edges || !plugins || !collect || schedule === null) return undefined;
  return {
    name: root.graph,
    ...(typeof root.comment === 'string' ? { comment: root.comment } : {}),
    file,
    resources,
    edges,
    plugins,
    ...(collect.length > 0 ? { collect } : {}),
    ...(schedule ? { schedule } : {}),
    precise,
  };
}

function buildResources(value: unknown, nowhere: SourceLocation): ResourceSpec[] | undefined {
  if (value === undefined || value === null) return [];
  if (!isMap(value)) return undefined;
  const resources: ResourceSpec[] = [];
  const noLocations = new Map<string, SourceLocation>();
  for (const [written, list] of Object.entries(value)) {
    const kind = written.trim();
    if (kind === '') return undefined;
    // An empty kind is checked at its location: the precise parser has it.
    if (!Array.isArray(list) || list.length === 0) return undefined;
    for (const item of list) {
      if (!isMap(item) || !isName(item.name)) return undefined;
      const { name, meta, ...params } = item;
      if (meta !== undefined && meta !== null && !isMap(meta)) return undefined;
      resources.push({
        kind,
        name,
        params,
        meta: meta ?? {},
        location: nowhere,
        paramLocations: noLocations,
        metaLocations: noLocations,
      });
    }
  }
  return resources;
}

function buildCollect(value: unknown, nowhere: SourceLocation): CollectSpec[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const collect: CollectSpec[] = [];
  for (const item of value) {
    if (!isMap(item) || !Object.keys(item).every((key) => COLLECT_KEYS.has(key))) return undefined;
    const pattern = item.pattern ?? '*';
    if (!isName(item.kind) || !isName(pattern)) return undefined;
    collect.push({ kind: item.kind, pattern, location: nowhere });
  }
  return collect;
}

/** undefined when absent; null when it is not a well-formed schedule (left to the precise parser). */
function buildSchedule(value: unknown): ScheduleSpec | undefined | null {
  if (value === undefined) return undefined;
  if (!isMap(value) || !Object.keys(value).every((key) => key === 'strategy' || key === 'max')) return null;
  const strategy = value.strategy ?? 'first';
  const max = value.max ?? 1;
  if (!SCHEDULE_STRATEGIES.includes(strategy as ScheduleStrategy)) return null;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) return null;
  return { strategy: strategy as ScheduleStrategy, max };
}

function buildEdges(value: unknown, nowhere: SourceLocation): EdgeSpec[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const edges: EdgeSpec[] = [];
  for (const item of value) {
    if (!isMap(item) || !Object.keys(item).every((key) => EDGE_KEYS.has(key))) return undefined;
    const from = buildEdgeEnd(item.from);
    const to = buildEdgeEnd(item.to);
    const notify = item.notify ?? false;
    if (!from || !to || typeof notify !== 'boolean') return undefined;
    for (const key of ['name', 'send', 'recv'] as const) {
      if (item[key] !== undefined && !isName(item[key])) return undefined;
    }
    edges.push({
      ...(typeof item.name === 'string' ? { name: item.name } : {}),
      from,
      to,
      notify,
      ...(typeof item.send === 'string' ? { send: item.send } : {}),
      ...(typeof item.recv === 'string' ? { recv: item.recv } : {}),
      location: nowhere,
    });
  }
  return edges;
}

function buildEdgeEnd(value: unknown): EdgeEndSpec | undefined {
  if (!isMap(value) || Object.keys(value).length !== 2) return undefined;
  return isName(value.kind) && isName(value.name) ? { kind: value.kind, name: value.name } : undefined;
}

function buildPlugins(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isName)) return undefined;
  return [...new Set(value)];
}
