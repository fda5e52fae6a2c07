import { isDeepStrictEqual } from 'node:util';
import type { AnyResourceDefinition, ResourceInstance } from '@converge/engine-api';
import { resourceError } from './resource-call.js';
import type { ReversalStore } from './reversal-store.js';

/** A resource with `meta: {reverse: true}`, as it is at its first apply. */
export interface ReversalSubject {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly definition: AnyResourceDefinition;
  readonly instance: ResourceInstance<Record<string, unknown>, Record<string, unknown>>;
  readonly params: Readonly<Record<string, unknown>>;
}

/** What the kind would record now to put things back; a failure is the resource's checkApply error. */
async function captured(subject: ReversalSubject): Promise<Record<string, unknown> | undefined> {
  try {
    return await subject.definition.reversible?.reversal(subject.instance, subject.params);
  } catch (error) {
    throw resourceError(subject.id, 'checkApply', error);
  }
}

/** A reversal stored by this run, with the resource it was taken of. */
export interface RecordedReversal {
  readonly subject: ReversalSubject;
  readonly params: Record<string, unknown>;
}

/** Stores what was there before the first change, so that removing the resource can put it back; returns what it stored. */
async function recordReversal(subject: ReversalSubject, store: ReversalStore): Promise<Record<string, unknown> | undefined> {
  const params = await captured(subject);
  if (params) await store.save({ id: subject.id, kind: subject.kind, name: subject.name, params });
  return params;
}

/**
 * Before a vertex's first change: each of its resources (a group's members,
 * each under its own id, as each leaves the graph on its own) gets its
 * reversal recorded, or its stored one extended. Returns those recorded now.
 */
export async function recordReversals(subjects: readonly ReversalSubject[], store: ReversalStore): Promise<RecordedReversal[]> {
  const recorded: RecordedReversal[] = [];
  for (const subject of subjects) {
    if (store.has(subject.id)) {
      await extendReversal(subject, store);
      continue;
    }
    const params = await recordReversal(subject, store);
    if (params) recorded.push({ subject, params });
  }
  return recorded;
}

/**
 * A reversal stored earlier (by this resource before a swap, or in an
 * earlier run) is extended, by the kind, with what the resource now
 * manages and did not then: a mode added since is put back too.
 */
async function extendReversal(subject: ReversalSubject, store: ReversalStore): Promise<void> {
  const extend = subject.definition.reversible?.extend;
  const stored = store.get(subject.id);
  if (!extend || !stored) return;
  const fresh = await captured(subject);
  if (!fresh) return;
  const extended = extend(stored.params, fresh);
  if (!isDeepStrictEqual(extended, stored.params)) await store.save({ ...stored, params: extended });
}

/**
 * A first apply that failed before changing anything has nothing to put
 * back: the reversal it stored is dropped when what it would record now is
 * what it recorded (true then), and the next apply records afresh. Kept, it
 * would later "restore" a state the user has since changed (a file they
 * created where the failed resource found none would be deleted). One that
 * found everything in place keeps its record: the resource holds that
 * state from then on, and its removal puts it back.
 */
async function dropReversalIfUnchanged({ subject, params }: RecordedReversal, store: ReversalStore): Promise<boolean> {
  try {
    if (!isDeepStrictEqual(await captured(subject), params)) return false;
    await store.delete(subject.id);
    return true;
  } catch {
    // Not known to be unchanged: the reversal stays, as it would have.
    return false;
  }
}

/** dropReversalIfUnchanged for each reversal a failed first apply recorded; true when any was dropped (to be recorded afresh). */
export async function dropUnchangedReversals(recorded: readonly RecordedReversal[], store: ReversalStore): Promise<boolean> {
  let dropped = false;
  for (const reversal of recorded) if (await dropReversalIfUnchanged(reversal, store)) dropped = true;
  return dropped;
}
