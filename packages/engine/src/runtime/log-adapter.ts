import type { Logger as ResourceLogger, LogFields } from '@converge/engine-api';
import type { Logger as PinoLogger } from 'pino';
import type { SecretValues } from './secrets.js';

/**
 * The fields that tag a line about some members of a group: the first as
 * `resource`, all of them as `resources` when several, as a group's dry-run
 * diff is told (see the CLI's noop diffs).
 */
export function membersTag(ids: readonly string[]): { resource: string; resources?: readonly string[] } | undefined {
  const [first] = ids;
  if (first === undefined) return undefined;
  return ids.length > 1 ? { resource: first, resources: [...ids] } : { resource: first };
}

/**
 * Gives a resource the small engine-api Logger; secrets it received are
 * masked. Its lines carry `resource: id` (through a pino child, made on
 * first use: most resources of a large graph never log). A line whose
 * fields name members of its group (`members`, positions) carries theirs
 * instead, through `parent`, so that `resource` is never written twice.
 */
export function resourceLogger(parent: PinoLogger, id: string, secrets: SecretValues, memberIds?: (positions: readonly number[]) => readonly string[]): ResourceLogger {
  let own: PinoLogger | undefined;
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) => {
    try {
      const { members, ...rest } = fields ?? {};
      const tag = Array.isArray(members) && memberIds ? membersTag(memberIds(members.filter((position): position is number => typeof position === 'number'))) : undefined;
      const text = secrets.mask(message);
      if (tag) parent[level]({ ...secrets.maskFields(rest), ...tag }, text);
      else {
        own ??= parent.child({ resource: id });
        if (fields) own[level](secrets.maskFields(rest), text);
        else own[level](text);
      }
    } catch {
      // Logging never throws into a resource.
    }
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
