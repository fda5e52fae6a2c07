import { posix } from 'node:path';

/**
 * `path` as `resolve` gives it at its nearest ancestor that resolves (the
 * path itself first), the names below it that are not made yet put back;
 * undefined when not even `/` resolves. `resolve` says undefined for a path
 * that is missing, and throws for what it wants told (a loop of links).
 */
export async function resolvedFromNearest(path: string, resolve: (path: string) => Promise<string | undefined>): Promise<string | undefined> {
  const missing: string[] = [];
  for (let current = path; ; current = posix.dirname(current)) {
    const real = await resolve(current);
    if (real !== undefined) return missing.length === 0 ? real : posix.join(real, ...missing.reverse());
    if (current === '/' || current === '.') return undefined;
    missing.push(posix.basename(current));
  }
}
