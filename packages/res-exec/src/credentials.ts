import { lookup, MAX_ID } from '@converge/accounts';

/** The uid and gid commands run with; undefined = the engine's own. */
export interface Credentials {
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Resolves `user` and `group` (names or numeric ids) as the system does, so
 * that every NSS source (files, LDAP, sssd) is honoured, through
 * `@converge/accounts`: a name of the local files (where nsswitch.conf has
 * the system look there first) is read in the process, others cost one
 * getent per name at a time, kept a few seconds, not one per run of the
 * commands. With a user and no
 * group, commands get the user's primary group, not the engine's.
 */
export async function resolveCredentials(user?: string, group?: string, signal?: AbortSignal): Promise<Credentials> {
  let uid: number | undefined;
  let gid: number | undefined;
  if (user) {
    const entry = await lookup('passwd', checkedNameOrId(user, 'user'), signal);
    uid = entry ? entry.id : numericId(user, 'user');
    if (entry) gid = entry.gid;
    // A bare uid has no primary group to take: the engine's (root's) would be kept.
    else if (!group) throw new Error(`user ${user} has no passwd entry, so no primary group: give group too`);
  }
  if (group) {
    const entry = await lookup('group', checkedNameOrId(group, 'group'), signal);
    gid = entry ? entry.id : numericId(group, 'group');
  }
  return { uid, gid };
}

/**
 * Why `value` cannot be a user or group (a name or a numeric id), or
 * undefined when it can. A leading `-` would be read by getent as an option
 * (`-sfiles` lists every entry, root's first); a `:` or white space can be
 * in no passwd or group entry.
 */
export function nameOrIdProblem(value: string, what: 'user' | 'group'): string | undefined {
  if (/^\d+$/.test(value)) return Number(value) <= MAX_ID ? undefined : `${what} id ${value} is out of range (0 to ${MAX_ID})`;
  return /^[^-:\s\p{Cc}][^:\s\p{Cc}]*$/u.test(value) ? undefined : `"${value}" is not a ${what} name or id`;
}

function checkedNameOrId(value: string, what: 'user' | 'group'): string {
  const problem = nameOrIdProblem(value, what);
  if (problem) throw new Error(problem);
  return value;
}

/** A user or group name that no passwd or group entry has (yet: an earlier resource may create it). */
export class UnknownNameError extends Error {}

function numericId(value: string, what: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  throw new UnknownNameError(`unknown ${what} "${value}"`);
}
