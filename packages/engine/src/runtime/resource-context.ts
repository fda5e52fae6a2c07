import type { Logger, ReceivedValue, ResourceContext, World } from '@converge/engine-api';
import { resourceLogger } from './log-adapter.js';
import { resourceVarDir } from './var-dir.js';
import type { VertexEnv } from './vertex-env.js';

/** What the context needs from its vertex. */
export interface ContextHost {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly meta: { readonly poll: number };
  /** The resource's watch saw a change (its first event: the watch is live). */
  watchEvent(): void;
  /** What its watch waits for before it is live (see ResourceContext.waitingFor). */
  watchWaitingFor(what: string | undefined): void;
  refreshPending(): boolean;
  parentWouldChange(id: string): boolean;
  stageSend(values: Readonly<Record<string, unknown>>): void;
  received(): ReadonlyMap<string, ReceivedValue>;
  /** The params its incoming send/recv edges fill. */
  receivedParams(): ReadonlySet<string>;
  /** The ids of its group's members at these positions (0 = itself; see LogFields `members`); none for a reversal. */
  memberIds?(positions: readonly number[]): readonly string[];
  /** For a reversal: its kind's resources in the graph being run (see ResourceContext.graphPeers). */
  readonly graphPeers?: readonly Readonly<Record<string, unknown>>[];
}

/** The engine side of `ResourceContext`, one per vertex, made on init. */
export class EngineResourceContext implements ResourceContext<Record<string, unknown>, Record<string, unknown>> {
  readonly #host: ContextHost;
  readonly #env: VertexEnv;
  #log: Logger | undefined;

  constructor(host: ContextHost, env: VertexEnv) {
    this.#host = host;
    this.#env = env;
  }

  get kind(): string {
    return this.#host.kind;
  }
  get name(): string {
    return this.#host.name;
  }
  get id(): string {
    return this.#host.id;
  }
  get hostname(): string {
    return this.#env.hostname;
  }
  get world(): World {
    return this.#env.world;
  }
  get log(): Logger {
    this.#log ??= resourceLogger(this.#env.logger, this.#host.id, this.#env.secrets, (positions) => this.#host.memberIds?.(positions) ?? []);
    return this.#log;
  }

  event(): void {
    this.#host.watchEvent();
  }
  waitingFor(what: string | undefined): void {
    this.#host.watchWaitingFor(what);
  }
  get receives(): ReadonlySet<string> {
    return this.#host.receivedParams();
  }
  get polled(): boolean {
    return this.#host.meta.poll > 0;
  }
  wouldChangeBefore(id: string): boolean {
    return this.#host.parentWouldChange(id);
  }
  get graphPeers(): readonly Readonly<Record<string, unknown>>[] | undefined {
    return this.#host.graphPeers;
  }

  refresh(): boolean {
    return this.#host.refreshPending();
  }
  send(values: Partial<Record<string, unknown>>): void {
    this.#host.stageSend(values);
  }
  secret(value: string): void {
    this.#env.secrets.add(value);
  }
  recv(): ReadonlyMap<string, ReceivedValue> {
    return this.#host.received();
  }
  varDir(sub?: string): Promise<string> {
    return resourceVarDir(this.#env.stateDir, this.#host.kind, this.#host.name, sub);
  }
}
