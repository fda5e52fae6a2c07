import type { MetaParams, SourceLocation } from '@converge/engine-api';
import type { ScheduleSpec } from '../cluster/scheduler.js';

/**
 * A graph as a frontend wrote it, before plugins are loaded and params
 * checked. Every part keeps where it was written so that errors can point
 * at file:line:column.
 */
export interface ResourceSpec {
  readonly kind: string;
  readonly name: string;
  /** Params as written (the `name` and `meta` keys removed). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Metaparams as written under `meta:`; checked later. */
  readonly meta: Readonly<Record<string, unknown>>;
  /** Where the resource's entry starts. */
  readonly location: SourceLocation;
  /** Where each param's value was written, by param name; entries inside a param by their path (`env/PATH`, `disk/0/source`). */
  readonly paramLocations: ReadonlyMap<string, SourceLocation>;
  /**
   * Where each param's key and each key of a mapping inside a param is
   * written, by the same paths (`content`, `disk/0/typ`), and each
   * metaparam's key (`meta/retry`): a key the kind does not know is told at
   * the key, whose value may start on a later line. Kept by the precise
   * parser only.
   */
  readonly keyLocations?: ReadonlyMap<string, SourceLocation>;
  /** Where each metaparam's value was written, by metaparam name. */
  readonly metaLocations: ReadonlyMap<string, SourceLocation>;
  /**
   * The text each plain number or boolean in the params is written as, by
   * the same paths as paramLocations (`content`, `env/PORT`): `0x1F`, `1.0`
   * and `+7` are the numbers 31, 1 and 7, but a text param takes them as
   * written, as mgmt does. Kept by the precise parser only.
   */
  readonly scalarTexts?: ReadonlyMap<string, string>;
  /**
   * Where a YAML 1.1 boolean word is written in quotes (`force: "yes"`), by
   * the same paths (`meta/noop` for a metaparam): text, as mgmt's reader
   * takes it, never read as a boolean as the plain word is. Kept by the
   * precise parser only (the fast one leaves such graphs to it).
   */
  readonly quotedBooleanWords?: ReadonlySet<string>;
}

export interface EdgeEndSpec {
  readonly kind: string;
  readonly name: string;
}

export interface EdgeSpec {
  readonly name?: string;
  readonly from: EdgeEndSpec;
  readonly to: EdgeEndSpec;
  /** Refresh the receiver when the sender changed something. */
  readonly notify: boolean;
  /** Send/recv: the sender's key ... */
  readonly send?: string;
  /** ... fills this param of the receiver. */
  readonly recv?: string;
  readonly location: SourceLocation;
}

/**
 * A graph's `collect:` entry: pull in the resources other hosts exported to
 * this one (`meta: {export: [...]}`) whose kind matches and whose name
 * matches the glob `pattern` (`*` any run of characters, `?` one).
 */
export interface CollectSpec {
  readonly kind: string;
  readonly pattern: string;
  readonly location: SourceLocation;
}

/** A kind named in a graph, and where. */
export interface KindMention {
  readonly kind: string;
  readonly location: SourceLocation;
}

export interface GraphSpec {
  /** The graph's `graph:` name. */
  readonly name: string;
  readonly comment?: string;
  /** The file it was read from (or a label such as `<api>`). */
  readonly file: string;
  readonly resources: readonly ResourceSpec[];
  /**
   * Each kind written under `resources:`, at its key: a kind is checked
   * there, so a misspelt one is told at the key, and also when its list is
   * empty (not silently a graph with nothing of that kind) or none of its
   * entries could be read.
   */
  readonly kindKeys?: readonly KindMention[];
  readonly edges: readonly EdgeSpec[];
  /** Third-party plugin packages the graph names under `plugins:`. */
  readonly plugins: readonly string[];
  /** Where each of `plugins` was written (same order); absent from the fast parser, whose locations are placeholders. */
  readonly pluginLocations?: readonly SourceLocation[];
  /** Exported resources of other hosts to pull in (several hosts; empty when absent). */
  readonly collect?: readonly CollectSpec[];
  /** Which hosts of a cluster run this graph (all when absent). */
  readonly schedule?: ScheduleSpec;
  /** What the parser read other than as written (mgmt's older spellings), said with where; absent when nothing. */
  readonly warnings?: readonly GraphWarning[];
  /**
   * Set when this spec came from the fast parser, whose locations are
   * placeholders: parses the same text again with exact locations, so that
   * problems can be reported at their file:line:column.
   */
  readonly precise?: () => GraphSpec;
}

/** A resource after its kind was loaded and its params and meta checked. */
export interface ResolvedResource {
  /** `kind[name]`. */
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  /** Validated params with defaults filled in. */
  readonly params: Record<string, unknown>;
  readonly meta: MetaParams;
  readonly location?: SourceLocation;
}

export type EdgeOrigin = 'explicit' | 'auto';

export interface ResolvedEdge {
  /** `kind[name]` of the resource that goes first. */
  readonly from: string;
  readonly to: string;
  readonly notify: boolean;
  readonly send?: string;
  readonly recv?: string;
  readonly origin: EdgeOrigin;
  readonly location?: SourceLocation;
  /**
   * Where `notify: true` was written, when not at `location`: edges between
   * the same resources merged into this one, and only a later one notifies.
   * A warning about its notification is told there (QA: at the edge
   * without notify).
   */
  readonly notifyLocation?: SourceLocation;
}

export function resourceId(kind: string, name: string): string {
  return `${kind}[${name}]`;
}

/**
 * A graph ready to run: every kind loaded, every param and metaparam checked,
 * every edge between known resources, no cycles.
 */
export interface ResolvedGraph {
  readonly name: string;
  readonly file: string;
  readonly resources: ReadonlyMap<string, ResolvedResource>;
  readonly edges: readonly ResolvedEdge[];
  /** The definition of every kind the graph uses. */
  readonly kinds: ReadonlyMap<string, import('@converge/engine-api').AnyResourceDefinition>;
  /** The graph's `collect:` entries, for the cluster agent (absent when none). */
  readonly collect?: readonly CollectSpec[];
  /** The graph's `schedule:`, for the cluster agent (absent = every host). */
  readonly schedule?: ScheduleSpec;
  /** What loaded but deserves a word (see legacy-params.ts); absent when nothing does. */
  readonly warnings?: readonly GraphWarning[];
}

/** Something in a graph file that loads, but not as written: said with where, like a problem. */
export interface GraphWarning {
  readonly location: SourceLocation;
  /** What it is about: `kind[name]`, or `edge 'name'`. */
  readonly resource: string;
  readonly message: string;
  readonly hint?: string;
}

/** `file:line:col: warning: kind[name]: message`, and the hint on a line of its own. */
export function describeWarning(warning: GraphWarning): string {
  const { file, line, column } = warning.location;
  const hint = warning.hint ? `\n  hint: ${warning.hint}` : '';
  return `${file}:${line}:${column}: warning: ${warning.resource}: ${warning.message}${hint}`;
}
