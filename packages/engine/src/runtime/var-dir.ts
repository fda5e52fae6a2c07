import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The private state folder of one resource: `<stateDir>/resources/<kind>/<name-slug>-<hash>`.
 * The hash keeps names that differ only in unsafe characters apart; the
 * slug keeps the folder recognisable to a person.
 */
export async function resourceVarDir(stateDir: string, kind: string, name: string, sub?: string): Promise<string> {
  const slug = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-40);
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  let dir = join(stateDir, 'resources', kind.replace(/[^A-Za-z0-9._-]+/g, '_'), `${slug}-${hash}`);
  if (sub !== undefined) {
    if (sub.includes('/') || sub === '..' || sub === '.' || sub === '') throw new Error(`varDir: bad folder name '${sub}'`);
    dir = join(dir, sub);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}
