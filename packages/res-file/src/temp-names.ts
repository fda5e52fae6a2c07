import { createHash, randomUUID } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** The temp names atomic writes make: `.NAME.converge-<12 hex>.tmp`, beside NAME. */
const TEMP_SUFFIX = String.raw`\.converge-[0-9a-f]{12}\.tmp`;
const TEMP_NAME = new RegExp(String.raw`^\.(.+)${TEMP_SUFFIX}$`);
const DOT = 0x2e;

/** The longest file name Linux file systems take, in bytes. */
const NAME_MAX = 255;
/** What a temp name adds to the name it holds: `.` before, `.converge-<12 hex>.tmp` after. */
const TEMP_NAME_EXTRA = 27;

/**
 * How a temp file's name holds its target's name: as it is, or, for a name
 * too long to hold with the temp name's 27 more bytes (NAME_MAX is 255),
 * as `~` and a hash of it. A file name of 229 to 255 bytes could not be
 * written at all before (QA: ENAMETOOLONG on the temp file).
 */
export function tempKeyOf(name: string): string {
  // A UTF-8 character takes at most 3 bytes per UTF-16 unit: most names are answered without counting bytes.
  if (name.length * 3 + TEMP_NAME_EXTRA <= NAME_MAX || Buffer.byteLength(name) + TEMP_NAME_EXTRA <= NAME_MAX) return name;
  return `~${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

/** A name in the target's own directory, so the final rename stays on one file system (see leftover-temps.ts). */
export function tempNameFor(path: string): string {
  // randomUUID draws from a cached entropy pool: cheaper per write than randomBytes.
  const hex = randomUUID().replaceAll('-', '').slice(0, 12);
  return join(dirname(path), `.${tempKeyOf(basename(path))}.converge-${hex}.tmp`);
}

/** The key (see tempKeyOf) of the name whose write the temp file `name` is for; undefined when it is not such a temp file. */
export function tempTargetOf(name: string): string | undefined {
  // Most names are not temp files: two cheap tests spare them the pattern (a folder of 10,000 files is listed at the first check).
  if (name.charCodeAt(0) !== DOT || !name.endsWith('.tmp')) return undefined;
  return TEMP_NAME.exec(name)?.[1];
}

/** A temp file's path anywhere in a text: `/dir/.NAME.converge-<12 hex>.tmp`. */
const TEMP_PATH_IN_TEXT = new RegExp(String.raw`(\/?(?:[^\s'"/]+\/)*)\.([^\s'"/]+)${TEMP_SUFFIX}`, 'g');

/**
 * `text` (a system error's message) with each temp file named as the
 * temporary file of its target: a new random name at every try made every
 * repetition of one failure a different message, told again each time.
 */
export function withTempNamesHidden(text: string): string {
  return text.replace(TEMP_PATH_IN_TEXT, (_match, folder: string, name: string) => `${folder}${name} (its temporary file)`);
}
