import { hostname as systemHostname } from 'node:os';
import { join } from 'node:path';
import { EngineError, type World } from '@converge/engine-api';
import { pino, type Logger as PinoLogger } from 'pino';
import { autoEdges } from '../graph/autoedge.js';
import type { ResolvedEdge, ResolvedGraph } from '../graph/spec.js';
import { topoSort } from '../graph/toposort.js';
import { LocalWorld } from '../world/local-world.js';
import { Converger } from './converger.js';
import { EventValue } from './event-value.js';
import { RefreshStore } from './refresh-store.js';
import { SemaphoreTable } from './semaphore.js';
import type { ResourceStatus } from './status.js';
import { Vertex } from './vertex.js';
import type { VertexEnv } from './vertex-env.js';

export interface EngineOptions {
  /** Where per-resource state, pending refreshes and the local world live. */
  readonly stateDir: string;
  /** This host's name; defaults to the system's. */
  readonly hostname?: string;
  /** Root logger; resources get children tagged with `resource`. Silent by default. */
  readonly logger?: PinoLogger;
  /** Global --noop: check everything, change nothing. */
  readonly noop?: boolean;
  /** Global --sema N: at most N checkApply calls at once (0 = no limit). */
  readonly sema?: number;
  /**
   * Seconds every resource must stay idle before the graph counts as
   * converged; 0 = as soon as all are idle; -1 (default) = never.
   */
  readonly convergerTimeout?: number;
  /** The shared world; defaults to a local world persisted in the state dir. */
  readonly world?: World;
}

/** The semaphore id used for global --sema (`:` cannot start a user id). */
const GLOBAL_SEMA_ID = ':global';

/**
 * Runs one graph: a vertex per resource, started together; convergence is
 * tracked as resources go busy and idle. Stopping is orderly first (no new
 * checkApply, running ones finish), forced on request.
 */
export class Engine {
  readonly converged: EventValue<boolean>;
  /** Bumped on every status change of any resource. */
  readonly changes = new EventValue(0);

  readonly #env: VertexEnv;
  readonly #converger: Converger;
  readonly #stopController = new AbortController();
  #vertices: Vertex[] = [];
  #edges: ResolvedEdge[] = [];
  #started = false;
  #statusListeners = new Set<(status: ResourceStatus) => void>();
  #stopping: Promise<void> | undefined;

  constructor(options: EngineOptions) {
    const hostname = options.hostname ?? systemHostname();
    this.#converger = new Converger(options.convergerTimeout ?? -1);
    this.converged = this.#converger.converged;
    let clock = 0;
    const sema = options.sema ?? 0;
    this.#env = {
      stateDir: options.stateDir,
      hostname,
      world: options.world ?? new LocalWorld(hostname, join(options.stateDir, 'world.json')),
      logger: options.logger ?? pino({ level: 'silent' }),
      noop: options.noop ?? false,
      globalSema: sema > 0 ? `${GLOBAL_SEMA_ID}:${sema}` : undefined,
      semaphores: new SemaphoreTable(),
      converger: this.#converger,
      refreshes: new RefreshStore(options.stateDir),
      stopSignal: this.#stopController.signal,
      nextTimestamp: () => ++clock,
      statusChanged: (status) => {
        this.changes.set(this.changes.get() + 1);
        if (this.#statusListeners.size === 0) return;
        const current = status();
        for (const listener of this.#statusListeners) listener(current);
      },
    };
  }

  /**
   * Adds autoedges, checks the whole graph is acyclic, then starts every
   * resource. Throws an EngineError (ERR_CYCLE) before starting anything when
   * autoedges close a cycle.
   */
  async start(graph: ResolvedGraph): Promise<void> {
    if (this.#started) throw new EngineError('ERR_INTERNAL', 'this engine was already started');
    this.#started = true;
    const edges = [...graph.edges, ...autoEdges(graph.resources, graph.kinds, graph.edges)];
    const order = topoSort(graph.resources.keys(), edges);
    await this.#env.refreshes.load();
    const byId = new Map<string, Vertex>();
    for (const id of order) {
      const resource = graph.resources.get(id);
      const definition = resource && graph.kinds.get(resource.kind);
      if (!resource || !definition) throw new EngineError('ERR_INTERNAL', `no definition for ${id}`);
      byId.set(id, new Vertex(resource, definition, this.#env));
    }
    for (const edge of edges) {
      const from = byId.get(edge.from);
      const to = byId.get(edge.to);
      if (!from || !to) throw new EngineError('ERR_INTERNAL', `edge between unknown resources ${edge.from} -> ${edge.to}`);
      from.children.push({ to, notify: edge.notify });
      to.parents.push({
        from,
        notify: edge.notify,
        ...(edge.send === undefined ? {} : { send: edge.send }),
        ...(edge.recv === undefined ? {} : { recv: edge.recv }),
      });
    }
    this.#vertices = [...byId.values()];
    this.#edges = edges;
    this.#converger.check();
    await Promise.all(this.#vertices.map((vertex) => vertex.start()));
  }

  /** Every edge of the running graph, autoedges included. */
  edges(): readonly ResolvedEdge[] {
    return this.#edges;
  }

  /** Resolves once the graph is converged (never with a converger timeout of -1). */
  async whenConverged(signal?: AbortSignal): Promise<void> {
    await this.converged.when((converged) => converged, signal);
  }

  statuses(): ResourceStatus[] {
    return this.#vertices.map((vertex) => vertex.status());
  }

  /**
   * Calls `listener` with a resource's new status each time one changes
   * state (O(1) per change, unlike polling `statuses()`). Returns the
   * function that removes the listener.
   */
  onStatus(listener: (status: ResourceStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  failures(): EngineError[] {
    return this.#vertices.flatMap((vertex) => (vertex.failure ? [vertex.failure] : []));
  }

  runningCalls(): string[] {
    return this.#vertices.flatMap((vertex) => vertex.runningCall() ?? []);
  }

  /**
   * Orderly stop: no checkApply starts any more, running ones may finish,
   * then every watch is ended and every resource cleaned up. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopController.abort(new Error('the engine is stopping'));
      await Promise.all(this.#vertices.map((vertex) => vertex.settled()));
      await Promise.all(this.#vertices.map((vertex) => vertex.close()));
      this.#converger.close();
    })();
    return this.#stopping;
  }

  /** Forced stop: aborts the running checkApply calls now. */
  abort(): void {
    const reason = new Error('aborted by a forced stop');
    for (const vertex of this.#vertices) vertex.abortCheck(reason);
    void this.stop();
  }

  /** Third signal: interruptable resources break out of their work at once. */
  interrupt(): void {
    for (const vertex of this.#vertices) vertex.interrupt();
    this.abort();
  }
}
