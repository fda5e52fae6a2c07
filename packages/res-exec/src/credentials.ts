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
    const entry = await getent('passwd', user);
    uid = entry ? Number(entry[2]) : numericId(user, 'user');
    if (entry) gid = Number(entry[3]);
  }
  if (group) {
    const entry = await getent('group', group);
    gid = entry ? Number(entry[2]) : numericId(group, 'group');
  }
  return { uid, gid };
}

function numericId(value: string, what: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  throw new Error(`unknown ${what} "${value}"`);
}

/** One `getent` entry split on `:`, or undefined when there is none. */
async function getent(database: 'passwd' | 'group', key: string): Promise<string[] | undefined> {
  try {
    const { stdout } = await execFileAsync('getent', [database, key], { timeout: 10_000 });
    const line = stdout.split('\n')[0];
    return line ? line.split(':') : undefined;
  } catch (error) {
    // getent exits 2 when the key is not found; anything else is a real failure.
    if ((error as { code?: unknown }).code === 2) return undefined;
    throw error;
  }
}
