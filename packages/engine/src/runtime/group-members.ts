import type { EngineError, ResourceInstance } from '@converge/engine-api';
import type { ResolvedResource } from '../graph/spec.js';
import type { MemberCheck } from './engine-events.js';
import type { ResourceStatus } from './status.js';

/**
 * The resources grouped into one vertex (autogroup), as members: position 0
 * is the vertex's own resource, then the grouped ones in order. One run of
 * the vertex acts for all of them; this keeps what each member is told of
 * it: which it changed (when the instance says, `changedMembers`) and which
 * a failure is about (`EngineError.members`).
 */
export class GroupMembers {
  /** Changes by member, once the instance has said which it changed. */
  #changes: number[] | undefined;
  /** The members the last change was for, when the instance says (changedMembers). */
  #lastChanged: ReadonlySet<number> | undefined;

  constructor(readonly grouped: readonly ResolvedResource[]) {}

  /** Members, the vertex's own resource included. */
  get size(): number {
    return this.grouped.length + 1;
  }

  /** Whether the instance said its last change (or a dry run's would-be change) was for any member. */
  get lastChangedAny(): boolean {
    return (this.#lastChanged?.size ?? 0) > 0;
  }

  /** The ids of the members at these positions (position 0 is `ownId`), in member order. */
  idsAt(ownId: string, positions: readonly number[]): string[] {
    const wanted = new Set(positions);
    return [ownId, ...this.grouped.map((member) => member.id)].filter((_, position) => wanted.has(position));
  }

  /** The ids of the members the last change was for (position 0 is `ownId`), in member order. */
  lastChangedIds(ownId: string): string[] {
    return this.#lastChanged === undefined ? [] : this.idsAt(ownId, [...this.#lastChanged]);
  }

  /**
   * After a run that changed something, or failed for some members: counts
   * a change for the members the instance says it changed (changedMembers),
   * or, without that method, for all of them when it returned (a failed
   * run's changes are unknown then). `changesBefore` is the vertex's count
   * before this run.
   */
  count(instance: ResourceInstance<Record<string, unknown>, Record<string, unknown>> | undefined, changesBefore: number, failed: boolean): void {
    if (!instance?.changedMembers && failed) return;
    const size = this.size;
    const changed = instance?.changedMembers ? instance.changedMembers() : Array.from({ length: size }, (_, position) => position);
    this.#lastChanged = instance?.changedMembers ? new Set(changed) : undefined;
    this.#changes ??= Array.from({ length: size }, () => changesBefore);
    for (const position of new Set(changed)) {
      if (position >= 0 && position < size) this.#changes[position] = (this.#changes[position] ?? 0) + 1;
    }
  }

  /**
   * Each member's outcome of one call, as its status will tell it (see
   * statusOf): failed when the error names it (or names no member), else
   * changed when the instance says it changed it (changedMembers), or,
   * without that method, as the vertex came out (`converged`); a failed
   * call's changes are unknown then, so the others count as converged.
   */
  checksOf(ownId: string, instance: ResourceInstance<Record<string, unknown>, Record<string, unknown>> | undefined, converged: boolean, error?: EngineError): MemberCheck[] {
    const changed = instance?.changedMembers ? new Set(instance.changedMembers()) : undefined;
    return [ownId, ...this.grouped.map((member) => member.id)].map((id, position) => {
      if (error !== undefined && (error.members === undefined || error.members.includes(position))) return { id, converged: false, error };
      if (changed !== undefined) return { id, converged: !changed.has(position) };
      return { id, converged: error !== undefined || converged };
    });
  }

  /**
   * The status of a member, from the vertex's own (`own`): its name, its
   * own change count and would-change mark, and converged when the
   * vertex failed with an error that names other members.
   */
  statusOf(own: ResourceStatus, position: number): ResourceStatus {
    const member = position === 0 ? undefined : this.grouped[position - 1];
    const named = member === undefined ? own : { ...own, id: member.id, name: member.name, hidden: member.meta.hidden };
    let counted = this.#changes === undefined ? named : { ...named, changes: this.#changes[position] ?? 0 };
    if (counted.wouldChange && this.#lastChanged && !this.#lastChanged.has(position)) {
      const { wouldChange: _other, ...unchanged } = counted;
      counted = unchanged;
    }
    const members = own.state === 'failed' ? own.lastError?.members : undefined;
    if (members === undefined || members.includes(position)) return counted;
    const { lastError: _told, ...converged } = counted;
    return { ...converged, state: 'converged' };
  }

  /** The first member an error names (EngineError.members), when it does not name the vertex's own resource. */
  namedIn(error: EngineError): ResolvedResource | undefined {
    const first = error.members?.[0];
    if (first === undefined || error.members?.includes(0)) return undefined;
    return this.grouped[first - 1];
  }
}
