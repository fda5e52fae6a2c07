import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { localIdOf } from './local-ids.js';

const run = promisify(execFile);

type Database = 'passwd' | 'group';

/** How long an id the name service (getent) gave is kept: names seldom change id, and a burst of checks (thousands of files of one owner) asks for the same one. */
const FOUND_KEPT_MS = 10_000;

/** getent's answers under way or kept, by database and name: one process per name at a time, not one per check (QA: 634 at once for 5,000 files). */
const asked = new Map<string, { readonly answer: Promise<number | undefined>; readonly at: number }>();

/**
 * Resolves a user or group (name or numeric id) to its id. Names are
 * resolved at checkApply time because another resource may create them.
 * Returns undefined when no such name exists.
 *
 * Where the system looks in its local files first (nsswitch.conf), they are
 * read here, in the process, and read again when they change: a check of a
 * file with an owner then starts no process. A name not found there goes
 * to the system's name service (`getent`, so LDAP/NSS users work too); what
 * it finds is kept a few seconds, what it does not is asked again next
 * time (a resource may create the user meanwhile).
 */
async function resolveId(database: Database, value: string | number, signal: AbortSignal): Promise<number | undefined> {
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  const local = localIdOf(database, value);
  if (local !== undefined) return local;
  const key = `${database}\0${value}`;
  let entry = asked.get(key);
  if (entry === undefined || performance.now() - entry.at >= FOUND_KEPT_MS) {
    const answer = getent(database, value);
    const mine = { answer, at: performance.now() };
    asked.set(key, mine);
    // Not found, or getent failed: asked again next time (a resource may create the name meanwhile).
    const forget = (): void => {
      if (asked.get(key) === mine) asked.delete(key);
    };
    answer.then((id) => id === undefined && forget(), forget);
    entry = mine;
  }
  return untilAborted(entry.answer, signal);
}

/** How long getent may take (a name service that does not answer): shared by every check that waits for it, so no one check's abort ends it. */
const GETENT_TIMEOUT_MS = 30_000;

async function getent(database: Database, value: string): Promise<number | undefined> {
  try {
    // `--`: a name starting with - (refused at load, but it may be received) is a key, not an option (QA: -sfiles listed every user, root first).
    const { stdout } = await run('getent', [database, '--', value], { encoding: 'utf8', timeout: GETENT_TIMEOUT_MS });
    const id = Number(stdout.split('\n')[0]?.split(':')[2]);
    return Number.isInteger(id) ? id : undefined;
  } catch (error) {
    // getent exits 2 when the key is not found.
    if ((error as { code?: unknown }).code === 2) return undefined;
    throw error;
  }
}

/** `answer`, or the abort of `signal` if that comes first. */
function untilAborted<T>(answer: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    answer.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export function resolveUid(owner: string | number, signal: AbortSignal): Promise<number | undefined> {
  return resolveId('passwd', owner, signal);
}

export function resolveGid(group: string | number, signal: AbortSignal): Promise<number | undefined> {
  return resolveId('group', group, signal);
}
