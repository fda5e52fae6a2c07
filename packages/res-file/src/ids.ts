import { lookup } from '@converge/accounts';

/**
 * A file's owner or group (name or numeric id) as an id, or undefined when
 * no such name exists. Resolved at each check, as another resource may
 * create the name; `@converge/accounts` keeps that cheap (no process for a
 * name of the local files, one getent per name at a time otherwise).
 */
async function resolveId(database: 'passwd' | 'group', value: string | number, signal: AbortSignal): Promise<number | undefined> {
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  return (await lookup(database, value, signal))?.id;
}

export function resolveUid(owner: string | number, signal: AbortSignal): Promise<number | undefined> {
  return resolveId('passwd', owner, signal);
}

export function resolveGid(group: string | number, signal: AbortSignal): Promise<number | undefined> {
  return resolveId('group', group, signal);
}
