import type { ResourceInstance } from '@converge/engine-api';
import type { GroupMembers } from './group-members.js';
import { callResource } from './resource-call.js';
import type { VertexEnv } from './vertex-env.js';

/** The vertex whose change is described: its id, its timeout, and the params its edges fill. */
export interface DescribedVertex {
  readonly id: string;
  readonly meta: { readonly timeout: number };
  readonly parents: readonly { readonly recv?: string }[];
  /** The received params whose value is what the real run would receive (see Vertex.knownReceived). */
  knownReceived(): ReadonlySet<string>;
}

/** Noop mode: tells observers what checkApply would have changed. */
export async function describeChange(
  instance: ResourceInstance<Record<string, unknown>, Record<string, unknown>>,
  vertex: DescribedVertex,
  members: GroupMembers | undefined,
  env: VertexEnv,
): Promise<void> {
  if (!instance.describeChange) return;
  let diff: string | undefined;
  // Every param an edge fills, sent yet or not: in a dry run the sender
  // (a password) sends nothing, and the param still holds its placeholder.
  const receiving = new Set(vertex.parents.flatMap((edge) => (edge.recv === undefined ? [] : [edge.recv])));
  if (receiving.size > 0 && !instance.describeReceivingChange) {
    diff = `(not shown: ${[...receiving].join(', ')} received from another resource)`;
  } else {
    const signal = env.stopSignal;
    const describe = receiving.size > 0 ? () => instance.describeReceivingChange?.(signal, receiving, vertex.knownReceived()) : () => instance.describeChange?.(signal);
    try {
      diff = await callResource(vertex.id, 'checkApply', describe, vertex.meta.timeout);
    } catch (error) {
      diff = `(could not describe the change: ${(error as Error).message})`;
    }
  }
  if (!diff) return;
  // A diff can show what another resource holds as a secret (a password it
  // wrote into this file in an earlier run): told once every resource has
  // started, so each has declared its secrets, and masked.
  await env.startsPending();
  // A group's diff is about the members that would change, not about the group's first resource (QA: pkg[sl] headed cowsay's install).
  const changed = members && instance.changedMembers ? members.idsAt(vertex.id, instance.changedMembers()) : [];
  env.emit({ type: 'diff', id: vertex.id, diff: env.secrets.mask(diff), ...(changed.length > 0 ? { members: changed } : {}) });
}
