import { EngineError } from '@converge/engine-api';
import { resolveCredentials, UnknownNameError } from './credentials.js';
import type { Credentials } from './credentials.js';
import { codeFor } from './exec-errors.js';
import type { ErrorSite } from './exec-errors.js';

/**
 * The credentials every command of an exec runs with, from `user` and `group`
 * as the params hold them now. They are resolved again before each run, not
 * once at init: a received `user` or `group` (send/recv) must take effect,
 * never silently leave the command running as the engine's user (root);
 * and one that an earlier resource creates (useradd) exists only by then.
 * Fails with an EngineError of `site`'s phase when a name is unknown or
 * switching needs root.
 */
export async function runAs(user: string | undefined, group: string | undefined, site: ErrorSite, received?: ReadonlySet<string>, signal?: AbortSignal): Promise<Credentials> {
  // Empty in the graph is mgmt's "not set"; received empty, it is a sender's
  // failure, and reading it as "not set" would run the command as root.
  for (const [param, value] of [['user', user], ['group', group]] as const) {
    if (value === '' && received?.has(param)) {
      throw new EngineError(codeFor(site.phase), `received an empty ${param}: nothing is run (it would run as the engine's own user)`, {
        ...site,
        hint: `make the sender send a ${param} name or id, or remove the edge into ${param}`,
      });
    }
  }
  if (!user && !group) return {};
  let credentials: Credentials;
  try {
    credentials = await resolveCredentials(user, group, signal);
  } catch (error) {
    // Stopped while the name service was asked: the stop, not a resolving error.
    if (signal?.aborted) throw error;
    throw new EngineError(codeFor(site.phase), `cannot resolve user/group: ${(error as Error).message}`, {
      ...site,
      cause: error,
      hint: 'use an existing user or group name, or a numeric id',
      // An unknown name may be one an earlier resource creates (useradd, a package's postinst).
      ...(error instanceof UnknownNameError ? { missing: true } : {}),
    });
  }
  const { uid, gid } = credentials;
  const switching = (uid !== undefined && uid !== process.getuid?.()) || (gid !== undefined && gid !== process.getgid?.());
  if (switching && process.getuid?.() !== 0) {
    throw new EngineError(codeFor(site.phase), 'running commands as another user or group needs root', {
      ...site,
      hint: 'run converge as root, or remove `user` and `group`',
    });
  }
  return credentials;
}
