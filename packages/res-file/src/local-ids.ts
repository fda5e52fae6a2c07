import { readFileSync, statSync } from 'node:fs';

/**
 * Users and groups of the system's local files (/etc/passwd, /etc/group),
 * read in the process: a name's id without a process per check (QA: a
 * getent for each check of each of 5,000 files made a repair take 30 s).
 * Used only where nsswitch.conf has the system look in its files first, as
 * the system itself then finds a name there first; each file is read again
 * when it changes (a user added by a resource before).
 */

type Database = 'passwd' | 'group';

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

const tables = new Map<string, Read<ReadonlyMap<string, number>>>();
const sources = new Map<string, Read<ReadonlyMap<string, string>>>();

/** The id of `name` in the local file of `database`, when the system looks there first and it is there. */
export function localIdOf(database: Database, name: string, files: LocalIdFiles = SYSTEM_FILES): number | undefined {
  if (firstSource(database, files.nsswitch) !== 'files') return undefined;
  return table(files[database])?.get(name);
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

/** name → id of a passwd or group file as it is now, or undefined when it cannot be read. */
function table(path: string): ReadonlyMap<string, number> | undefined {
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
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    // NIS's +/- lines name no one here.
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id) && !ids.has(name)) ids.set(name, Number(id));
  }
  tables.set(path, { version, value: ids });
  return ids;
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
