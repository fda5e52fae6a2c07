/** The two databases of the name service that hold users and groups. */
export type Database = 'passwd' | 'group';

/** A user (passwd) or a group entry: its id, and a user's primary group. */
export interface Entry {
  readonly id: number;
  /** The primary group of a user; undefined for a group. */
  readonly gid?: number;
}

/** The highest id a process can run with: 4294967295 is -1, "leave unchanged", to the kernel. */
export const MAX_ID = 4294967294;

/**
 * The entry of the `:`-separated fields of a passwd or group line, or
 * undefined when an id field is not a whole id: a broken source must not
 * give root (0) or -1.
 */
export function entryOf(database: Database, fields: readonly string[]): Entry | undefined {
  const id = wholeId(fields[2]);
  if (id === undefined) return undefined;
  if (database === 'group') return { id };
  const gid = wholeId(fields[3]);
  return gid === undefined ? undefined : { id, gid };
}

function wholeId(field: string | undefined): number | undefined {
  return field !== undefined && /^\d+$/.test(field) && Number(field) <= MAX_ID ? Number(field) : undefined;
}
