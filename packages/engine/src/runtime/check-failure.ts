import { EngineError, type ReceivedValue, type ResourceInstance } from '@converge/engine-api';
import { withReceivedValuesHidden } from './received-check.js';
import { resourceError } from './resource-call.js';
import type { SecretValues } from './secrets.js';

/** A vertex as the search for ancestors that would change walks it. */
export interface AncestorVertex<V> {
  readonly id: string;
  readonly parents: readonly { readonly from: V }[];
  readonly definition: { readonly makesNothingOthersNeed?: boolean };
}

/** What a failed checkApply threw, as an EngineError of the resource `id`, with secrets masked. */
export function maskedCheckError(error: unknown, id: string, secrets: SecretValues): EngineError {
  return secrets.maskError(error instanceof EngineError ? error : resourceError(id, 'checkApply', error));
}

/** The failure a failed checkApply is told as: secrets first, so a received password reads [secret], as everywhere else; then other received values. */
export function checkFailure(
  error: unknown,
  id: string,
  secrets: SecretValues,
  params: Readonly<Record<string, unknown>>,
  received: ReadonlyMap<string, ReceivedValue>,
): EngineError {
  return withReceivedValuesHidden(maskedCheckError(error, id, secrets), params, received);
}

/**
 * A dry run's check that fails for want of something (EngineError's
 * `missing`: a folder, a source, a program) while a resource it depends
 * on would change may fail only for want of that change (the package
 * whose install makes this file's folder): the real run makes the change
 * first. It counts as would change, saying after what and what the check
 * found (QA: --noop failed the files of a package it would install, and
 * exited 1). Any other failure stands, as does a group's failure of some
 * members (QA: a missing package was told converged). Returns the ids of
 * the resources it would change after; none when the failure stands.
 */
export function changesAwaited<V extends AncestorVertex<V>>(failure: EngineError, vertex: V, wouldChange: (vertex: V) => boolean): string[] {
  if (!failure.missing || failure.members !== undefined) return [];
  return nearestAncestorsThatWouldChange(vertex, wouldChange);
}

/** How a dry run tells that it would change after `changing` (see changesAwaited). */
export function wouldChangeAfterMessage(changing: readonly string[], failure: EngineError): string {
  return `would change after ${changing.join(', ')} (noop; checked before ${changing.length === 1 ? 'it changes' : 'they change'}, it says: ${failure.message})`;
}

/**
 * The ids of the nearest resources `start` depends on (through any chain of
 * parents: a noop between them too) that would change in a dry run and may
 * make what is missing: not a kind whose changes make nothing others need
 * (a password: QA, a file in a folder no one makes counted as would change
 * after it, and the real run failed), which is looked through as a noop is.
 */
function nearestAncestorsThatWouldChange<V extends AncestorVertex<V>>(start: V, wouldChange: (vertex: V) => boolean): string[] {
  const found: string[] = [];
  const seen = new Set<V>([start]);
  const queue: V[] = start.parents.map((edge) => edge.from);
  while (queue.length > 0) {
    const vertex = queue.shift() as V;
    if (seen.has(vertex)) continue;
    seen.add(vertex);
    if (wouldChange(vertex) && vertex.definition.makesNothingOthersNeed !== true) found.push(vertex.id);
    else for (const edge of vertex.parents) queue.push(edge.from);
  }
  return found;
}

/** A group's failure that names its failed members (EngineError.members), when its instance says it changed others (changedMembers). */
export function changedOtherMembers(instance: ResourceInstance<Record<string, unknown>, Record<string, unknown>>, error: unknown): boolean {
  return error instanceof EngineError && error.members !== undefined && (instance.changedMembers?.().length ?? 0) > 0;
}
