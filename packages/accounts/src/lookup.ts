import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Database, Entry } from './entry.js';
import { entryOf } from './entry.js';
import { localEntryOf } from './local-accounts.js';

const run = promisify(execFile);

/** How long an entry the name service (getent) gave is kept: names seldom change id, and a burst of checks (thousands of files of one owner) asks for the same one. */
const FOUND_KEPT_MS = 10_000;

/** getent's answers under way or kept, by database and key: one process per name at a time, not one per check (QA: 634 at once for 5,000 files). */
const asked = new Map<string, { readonly answer: Promise<Entry | undefined>; readonly at: number }>();

/**
 * The passwd or group entry of `key`, a name or a numeric id (an id is
 * looked up by id, as getent does); undefined when there is none. Asked at
 * each check, not once, because another resource may create the name.
 *
 * Where the system looks in its local files first (nsswitch.conf), they are
 * read here, in the process, and read again when they change: a check then
 * starts no process. A key not found there goes to the system's name
 * service (`getent`, so LDAP/NSS users work too); what it finds is kept a
 * few seconds, what it does not is asked again next time (a resource may
 * create the user meanwhile). `signal` ends this caller's wait, not the
 * getent others wait for too.
 */
export async function lookup(database: Database, key: string, signal?: AbortSignal): Promise<Entry | undefined> {
  const local = localEntryOf(database, key);
  if (local !== undefined) return local;
  const cacheKey = `${database}\0${key}`;
  let entry = asked.get(cacheKey);
  if (entry === undefined || performance.now() - entry.at >= FOUND_KEPT_MS) {
    const answer = getent(database, key);
    const mine = { answer, at: performance.now() };
    asked.set(cacheKey, mine);
    // Not found, or getent failed: asked again next time (a resource may create the name meanwhile).
    const forget = (): void => {
      if (asked.get(cacheKey) === mine) asked.delete(cacheKey);
    };
    answer.then((found) => found === undefined && forget(), forget);
    entry = mine;
  }
  return signal ? untilAborted(entry.answer, signal) : entry.answer;
}

/** How long getent may take (a name service that does not answer): shared by every check that waits for it, so no one check's abort ends it. */
const GETENT_TIMEOUT_MS = 30_000;

async function getent(database: Database, key: string): Promise<Entry | undefined> {
  let stdout: string;
  try {
    // `--`: a key starting with - (refused at load, but it may be received) is a key, not an option (QA: -sfiles listed every user, root first).
    ({ stdout } = await run('getent', [database, '--', key], { encoding: 'utf8', timeout: GETENT_TIMEOUT_MS }));
  } catch (error) {
    // getent exits 2 when the key is not found.
    if ((error as { code?: unknown }).code === 2) return undefined;
    throw error;
  }
  const line = stdout.split('\n')[0];
  if (!line) return undefined;
  const found = entryOf(database, line.split(':'));
  // A broken name service must not mean root: an entry without a whole id is an error, not "no such name".
  if (found === undefined) throw new Error(`the ${database} entry getent gives for "${key}" has no valid id`);
  return found;
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
