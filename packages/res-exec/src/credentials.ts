import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The uid and gid commands run with; undefined = the engine's own. */
export interface Credentials {
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Resolves `user` and `group` (names or numeric ids) through `getent`, so that
 * every NSS source (files, LDAP, sssd) is honoured. With a user and no group,
 * commands get the user's primary group, not the engine's.
 */
export async function resolveCredentials(user?: string, group?: string): Promise<Credentials> {
  let uid: number | undefined;
  let gid: number | undefined;
  if (user) {
    const entry = await getent('passwd', checkedNameOrId(user, 'user'));
    uid = entry ? entryId(entry[2], 'user', user) : numericId(user, 'user');
    if (entry) gid = entryId(entry[3], 'group', user);
    // A bare uid has no primary group to take: the engine's (root's) would be kept.
    else if (!group) throw new Error(`user ${user} has no passwd entry, so no primary group: give group too`);
  }
  if (group) {
    const entry = await getent('group', checkedNameOrId(group, 'group'));
    gid = entry ? entryId(entry[2], 'group', group) : numericId(group, 'group');
  }
  return { uid, gid };
}

/** The highest id a process can run with: 4294967295 is -1, "leave unchanged", to the kernel. */
const MAX_ID = 4294967294;

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

/** An id field of a getent entry, refused unless it is a whole id (a broken NSS source must not mean root). */
function entryId(field: string | undefined, what: string, key: string): number {
  if (field !== undefined && /^\d+$/.test(field) && Number(field) <= MAX_ID) return Number(field);
  throw new Error(`the ${what} id getent gives for "${key}" is not a number`);
}

/** One `getent` entry split on `:`, or undefined when there is none. */
async function getent(database: 'passwd' | 'group', key: string): Promise<string[] | undefined> {
  try {
    const { stdout } = await execFileAsync('getent', [database, '--', key], { timeout: 10_000 });
    const line = stdout.split('\n')[0];
    return line ? line.split(':') : undefined;
  } catch (error) {
    // getent exits 2 when the key is not found; anything else is a real failure.
    if ((error as { code?: unknown }).code === 2) return undefined;
    throw error;
  }
}
