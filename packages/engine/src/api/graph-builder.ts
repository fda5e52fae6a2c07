import { EngineError, type AnyResourceDefinition, type SendsOf, type SourceLocation } from '@converge/engine-api';
import { GraphLoadError } from '../graph/load-error.js';
import { resolveGraph } from '../graph/resolve.js';
import { resourceId, type EdgeSpec, type GraphSpec, type ResolvedGraph, type ResourceSpec } from '../graph/spec.js';
import { API_FILE, callerLocation } from './call-site.js';
import { memoryKindResolver } from './memory-resolver.js';
import type {
  EdgeOptions,
  KindDefinition,
  ParamAccepting,
  ParamsInput,
  ResourceHandle,
  ResourceOptions,
  SendKey,
} from './typed-kinds.js';

/**
 * Builds a graph in code, typed by each kind's params. Nothing is checked
 * until `build()`, which runs the same checks as a YAML graph (params,
 * metaparams, duplicates, edges, send/recv types, cycles) and reports every
 * problem at the line of code that made it.
 */
export class GraphBuilder {
  readonly name: string;
  readonly #resources: ResourceSpec[] = [];
  readonly #edges: EdgeSpec[] = [];
  readonly #definitions = new Set<AnyResourceDefinition>();
  #comment: string | undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** A free-text comment for the graph, as `comment:` in YAML. */
  comment(text: string): this {
    this.#comment = text;
    return this;
  }

  /** Adds a resource of kind `definition` named `name`; returns its handle for edges. */
  resource<D extends KindDefinition>(definition: D, name: string, params: ParamsInput<D> = {}, options: ResourceOptions = {}): ResourceHandle<D> {
    const location = this.#here(this.resource);
    const definedParams = withoutUndefined(params as Record<string, unknown>);
    const meta = withoutUndefined(options.meta ?? {});
    this.#definitions.add(definition as unknown as AnyResourceDefinition);
    this.#resources.push({
      kind: definition.kind,
      name,
      params: definedParams,
      meta,
      location,
      paramLocations: everyKeyAt(definedParams, location),
      metaLocations: everyKeyAt(meta, location),
    });
    return Object.freeze({ definition, kind: definition.kind, name, id: resourceId(definition.kind, name) });
  }

  /** `from` goes before `to`; with `notify`, a change in `from` refreshes `to`. */
  edge(from: ResourceHandle, to: ResourceHandle, options: EdgeOptions = {}): this {
    this.#edges.push(edgeSpec(from, to, options, this.#here(this.edge)));
    return this;
  }

  /**
   * Send/recv: after `from` runs, the value it sends on `key` fills `to`'s
   * param `param` (an edge from → to is implied). Both names, and that the
   * param accepts the sent type, are checked at compile time.
   */
  send<F extends KindDefinition, K extends SendKey<F>, T extends KindDefinition>(
    from: ResourceHandle<F>,
    key: K,
    to: ResourceHandle<T>,
    param: ParamAccepting<T, SendsOf<F>[K]>,
    options: EdgeOptions = {},
  ): this {
    this.#edges.push({ ...edgeSpec(from, to, options, this.#here(this.send)), send: key, recv: param });
    return this;
  }

  /** The graph as a frontend would hand it over, before any check. */
  spec(): GraphSpec {
    return {
      name: this.name,
      ...(this.#comment === undefined ? {} : { comment: this.#comment }),
      file: API_FILE,
      resources: [...this.#resources],
      edges: [...this.#edges],
      plugins: [],
    };
  }

  /**
   * Checks the graph and resolves it for `Engine.start` / `Engine.swap`.
   * Rejects with GraphLoadError listing every problem.
   */
  async build(): Promise<ResolvedGraph> {
    if (this.name.trim() === '') {
      throw new GraphLoadError([
        new EngineError('ERR_GRAPH_SHAPE', 'the graph has no name', { phase: 'load', hint: "give graph() a name, e.g. graph('web')" }),
      ]);
    }
    return resolveGraph(this.spec(), memoryKindResolver(this.#definitions));
  }

  #here(api: (...args: never[]) => unknown): SourceLocation {
    return callerLocation(api, this.#resources.length + this.#edges.length + 1);
  }
}

/** Starts a graph named `name` (the `graph:` of a YAML graph). */
export function graph(name: string): GraphBuilder {
  return new GraphBuilder(name);
}

function edgeSpec(from: ResourceHandle, to: ResourceHandle, options: EdgeOptions, location: SourceLocation): EdgeSpec {
  return {
    ...(options.name === undefined ? {} : { name: options.name }),
    from: { kind: from.kind, name: from.name },
    to: { kind: to.kind, name: to.name },
    notify: options.notify ?? false,
    location,
  };
}

/** Optional fields left `undefined` in code mean "not given", as a missing YAML key does. */
function withoutUndefined(values: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

function everyKeyAt(values: Record<string, unknown>, location: SourceLocation): ReadonlyMap<string, SourceLocation> {
  return new Map(Object.keys(values).map((key) => [key, location]));
}
