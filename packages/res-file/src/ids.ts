import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Resolves a user or group (name or numeric id) to its id through the
 * system's name service (`getent`, so LDAP/NSS users work too). Names are
 * resolved at checkApply time because another resource may create them.
 * Returns undefined when no such name exists.
 */
async function resolveId(database: 'passwd' | 'group', value: string | number, signal: AbortSignal): Promise<number | undefined> {
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  try {
    // `--`: a name starting with - (refused at load, but it may be received) is a key, not an option (QA: -sfiles listed every user, root first).
    const { stdout } = await run('getent', [database, '--', value], { signal, encoding: 'utf8' });
    const id = Number(stdout.split('\n')[0]?.split(':')[2]);
    return Number.isInteger(id) ? id : undefined;
  } catch (error) {
    // getent exits 2 when the key is not found.
    if ((error as { code?: unknown }).code === 2) return undefined;
    throw error;
  }
}

export function resolveUid(owner: string | number, signal: AbortSignal): Promise<number | undefined> {
  return resolveId('passwd', owner, signal);
}

export function resolveGid(group: string | number, signal: AbortSignal): Promise<number | undefined> {
  return resolveId('group', group, signal);
}
