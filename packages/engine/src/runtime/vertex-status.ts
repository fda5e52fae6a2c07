import { EngineError } from '@converge/engine-api';
import type { GroupMembers } from './group-members.js';
import { membersTag } from './log-adapter.js';
import type { ResourceStatus } from './status.js';

/** How a vertex logs: every line names its resource, unless `fields` names a member of its group. */
export type VertexLog = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** The status of a member of a vertex's group (0 = the resource itself), from the vertex's own: see GroupMembers.statusOf. */
export function memberStatus(own: ResourceStatus, members: GroupMembers | undefined, position: number): ResourceStatus {
  return members === undefined ? own : members.statusOf(own, position);
}

/**
 * The error that put a vertex down, told as the first member's of its group
 * it names (EngineError.members), when it does not name the resource itself.
 */
export function failureAsMember(error: EngineError | undefined, members: GroupMembers | undefined): EngineError | undefined {
  const member = error && members?.namedIn(error);
  if (error === undefined || member === undefined) return error;
  return new EngineError(error.code, error.message, {
    resource: member.id,
    ...(error.phase === undefined ? {} : { phase: error.phase }),
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    members: error.members,
    cause: error,
  });
}

/** `message`, for each member a group changed (told by the kind), else for the vertex `id` (QA: a group's change was logged under its first resource). */
export function logForChangedMembers(members: GroupMembers | undefined, id: string, log: VertexLog, level: 'info' | 'warn', message: string): void {
  const changed = members?.lastChangedIds(id) ?? [];
  if (changed.length === 0) log(level, message);
  for (const member of changed) log(level, message, { resource: member });
}

/**
 * A dry run of a group that failed for some members: the others its
 * instance says it would change (changedMembers) are told would-change,
 * as they would be had the failing members not been in the group. Returns
 * whether the vertex would change now; `toldAlready`, whether it said so.
 */
export function wouldChangeForMembers(members: GroupMembers | undefined, id: string, toldAlready: boolean, log: VertexLog, describe: () => void): boolean {
  const wouldChange = members?.lastChangedAny ?? false;
  if (wouldChange && !toldAlready) {
    // Told as theirs, not as the vertex's own resource's, which may be the one that failed (QA: pkg[typo]: would change).
    const changing = members?.lastChangedIds(id) ?? [];
    log('warn', `would change (noop), for the members that did not fail: ${changing.join(', ')}`, membersTag(changing));
    // What they would do, as for a group that did not fail (QA: said for none of them).
    describe();
  }
  return wouldChange;
}
