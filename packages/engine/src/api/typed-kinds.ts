import type { MetaParams, ParamsOf, SendsOf, TObject } from '@converge/engine-api';

/**
 * What the builder needs to see of a resource definition. Narrower than
 * ResourceDefinition on purpose: definitions are invariant in their param
 * types, and this lets any `defineResource(...)` value through while keeping
 * its own types for ParamsOf / SendsOf.
 */
export interface KindDefinition {
  readonly $$type: '@converge/resource';
  readonly kind: string;
  readonly params: TObject;
  readonly sends?: TObject;
}

/** A resource added to a graph builder; carries its kind's types for edges and send/recv. */
export interface ResourceHandle<D extends KindDefinition = KindDefinition> {
  readonly definition: D;
  readonly kind: string;
  readonly name: string;
  /** `kind[name]`. */
  readonly id: string;
}

/** The params of a resource as written in code: any subset (the name param defaults to the name). */
export type ParamsInput<D extends KindDefinition> = Partial<ParamsOf<D>>;

export interface ResourceOptions {
  readonly meta?: Partial<MetaParams>;
}

export interface EdgeOptions {
  /** Refresh the receiver when the sender changed something. */
  readonly notify?: boolean;
  /** A name for the edge, shown in errors. */
  readonly name?: string;
}

/** The keys `D` can send. */
export type SendKey<D extends KindDefinition> = keyof SendsOf<D> & string;

/**
 * The params of `D` that can hold a value of type `V`: the receiving end of a
 * send/recv edge must accept what is sent (checked again, from the schemas,
 * when the graph is built).
 */
export type ParamAccepting<D extends KindDefinition, V> = {
  [P in keyof ParamsOf<D>]-?: [V] extends [NonNullable<ParamsOf<D>[P]>] ? P : never;
}[keyof ParamsOf<D>] &
  string;
