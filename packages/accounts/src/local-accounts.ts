import { readFileSync, statSync } from 'node:fs';

import type { Database, Entry } from './entry.js';
import { entryOf } from './entry.js';

/**
 * Users and groups of the system's local files (/etc/passwd, /etc/group),
 * read in the process: a name's id without a process per check (QA: a
 * getent for each check of each of 5,000 files made a repair take 30 s;
 * res-exec ran one per run of its commands).
 * Used only where nsswitch.conf has the system look in its files first, as
 * the system itself then finds a name there first; each file is read again
 * when it changes (a user added by a resource before).
 */

/** Where the system keeps them (other paths in tests). */
export interface LocalIdFiles {
  readonly passwd: string;
  readonly group: string;
  readonly nsswitch: string;
}

const SYSTEM_FILES: LocalIdFiles = { passwd: '/etc/passwd', group: '/etc/group', nsswitch: '/etc/nsswitch.conf' };

interface Read<T> {
  readonly version: string;
  readonly value: T;
}

/** A passwd or group file: its entries by name, and by id (the first with an id, as getent finds it). */
interface Table {
  readonly byName: ReadonlyMap<string, Entry>;
  readonly byId: ReadonlyMap<number, Entry>;
}

const tables = new Map<string, Read<Table>>();
const sources = new Map<string, Read<ReadonlyMap<string, string>>>();

/**
 * The entry of `key` (a name, or a numeric id: looked up by id, as getent
 * does) in the local file of `database`, when the system looks there first
 * and it is there.
 */
export function localEntryOf(database: Database, key: string, files: LocalIdFiles = SYSTEM_FILES): Entry | undefined {
  if (firstSource(database, files.nsswitch) !== 'files') return undefined;
  const known = table(database, files[database]);
  return /^\d+$/.test(key) ? known?.byId.get(Number(key)) : known?.byName.get(key);
}

/** The first place nsswitch.conf names for `database` (`files`, `sss`, `compat`…), or undefined. */
function firstSource(database: Database, nsswitch: string): string | undefined {
  const version = versionOf(nsswitch);
  if (version === undefined) return undefined;
  let known = sources.get(nsswitch);
  if (known?.version !== version) {
    let text: string;
    try {
      text = readFileSync(nsswitch, 'utf8');
    } catch {
      return undefined;
    }
    known = { version, value: nsswitchSources(text) };
    sources.set(nsswitch, known);
  }
  return known.value.get(database);
}

/** `passwd: files systemd` → passwd → files (actions in brackets skipped). */
function nsswitchSources(text: string): ReadonlyMap<string, string> {
  const first = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([a-z]+)\s*:\s*(.*)$/.exec(line.replace(/#.*/, ''));
    if (!match) continue;
    const source = (match[2] ?? '').replace(/\[[^\]]*\]/g, ' ').trim().split(/\s+/)[0];
    if (source) first.set(match[1] as string, source);
  }
  return first;
}

/** A passwd or group file as it is now, or undefined when it cannot be read. */
function table(database: Database, path: string): Table | undefined {
  const version = versionOf(path);
  if (version === undefined) return undefined;
  const known = tables.get(path);
  if (known?.version === version) return known.value;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const byName = new Map<string, Entry>();
  const byId = new Map<number, Entry>();
  for (const line of text.split('\n')) {
    // NIS's +/- lines name no one here.
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    const name = fields[0];
    // A line with a broken id names no one: it must not mean root.
    const entry = entryOf(database, fields);
    if (!name || entry === undefined) continue;
    if (!byName.has(name)) byName.set(name, entry);
    if (!byId.has(entry.id)) byId.set(entry.id, entry);
  }
  const value = { byName, byId };
  tables.set(path, { version, value });
  return value;
}

/** What a file is now (which one, its size, its change times): another version means it is read again. */
function versionOf(path: string): string | undefined {
  try {
    const stats = statSync(path, { bigint: true });
    return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
  } catch {
    return undefined;
  }
}
