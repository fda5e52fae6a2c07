import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { systemPath } from '@converge/system-paths';
import { splitArch } from './plan.js';

/** Where dpkg keeps its database; its `status` file changes with every install or removal. */
export const DPKG_DIR = '/var/lib/dpkg';

const DPKG_ARCH: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'armhf',
  ia32: 'i386',
  ppc64: 'ppc64el',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** dpkg's name for the architecture Node runs on (`amd64`), the one a package name without `:arch` means. */
export function nativeArch(): string | undefined {
  return DPKG_ARCH[process.arch];
}

/**
 * A package's state as dpkg's status file gives it (the third word of its
 * `Status:` field): `installed`, `config-files` (removed, not purged: `rc`),
 * `not-installed`, or one of the half-done states of a dpkg run.
 */
export type DpkgPackageState =
  | 'installed'
  | 'config-files'
  | 'not-installed'
  | 'unpacked'
  | 'half-installed'
  | 'half-configured'
  | 'triggers-awaited'
  | 'triggers-pending';

/** The states in which a package's files are on disk (dpkg -S names it as their owner), as its file list says. */
const FILES_ON_DISK: ReadonlySet<string> = new Set(['installed', 'unpacked', 'half-installed', 'half-configured', 'triggers-awaited', 'triggers-pending']);

interface StatusSnapshot {
  /** What the status file was when read: it is read again only once dpkg has written it. */
  readonly stamp: string;
  /** `name:arch` → state. */
  readonly states: ReadonlyMap<string, string>;
  /** Program paths (bin and sbin folders) → the `name:arch` of every package with its files on disk that owns it; built on demand. */
  owners?: ReadonlyMap<string, readonly string[]>;
}

const snapshots = new Map<string, StatusSnapshot>();

/**
 * dpkg's status file, parsed once per change (autoedges are asked for
 * synchronously, package by package, on every graph load). Empty when the
 * system has no dpkg.
 */
function snapshot(dpkgDir: string): StatusSnapshot {
  const path = posix.join(dpkgDir, 'status');
  let stamp: string;
  try {
    const found = statSync(path);
    stamp = `${found.ino}:${found.size}:${found.mtimeMs}`;
  } catch {
    return { stamp: '', states: new Map() };
  }
  const cached = snapshots.get(dpkgDir);
  if (cached?.stamp === stamp) return cached;
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // Replaced between stat and read: read again next time.
  }
  const states = new Map<string, string>();
  for (const paragraph of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(paragraph)?.[1]?.trim();
    const name = field('Package');
    const status = field('Status')?.split(/\s+/)[2];
    if (name && status) states.set(`${name}:${field('Architecture') ?? 'all'}`, status);
  }
  const fresh: StatusSnapshot = { stamp, states };
  snapshots.set(dpkgDir, fresh);
  return fresh;
}

/** The `name:arch` key of the status entry a package name means: its own architecture, else the native one or `all`. */
function entryKey(packageName: string, states: ReadonlyMap<string, string>): string | undefined {
  const { name, arch } = splitArch(packageName);
  const archs = arch === undefined ? [nativeArch(), 'all'] : [arch];
  return archs.map((each) => `${name}:${each}`).find((key) => states.has(key));
}

/** dpkg's state of a package, or undefined when dpkg has never heard of it (no entry in its status file). */
export function dpkgState(packageName: string, dpkgDir: string): DpkgPackageState | undefined {
  const { states } = snapshot(dpkgDir);
  const key = entryKey(packageName, states);
  return key === undefined ? undefined : (states.get(key) as DpkgPackageState);
}

/** Whether a package's files are on disk, so that its file list (`info/<name>.list`) says what it owns. */
export function filesOnDisk(state: DpkgPackageState | undefined): boolean {
  return state !== undefined && FILES_ON_DISK.has(state);
}

/** The file list of a package by its status key (`name:arch`): `info/name:arch.list` for multi-arch packages, else `info/name.list`. */
export function readFileList(dpkgDir: string, name: string, arch: string | undefined): string[] | undefined {
  return readListText(dpkgDir, name, arch)
    ?.split('\n')
    .filter((path) => path.startsWith('/') && path !== '/.');
}

function readListText(dpkgDir: string, name: string, arch: string | undefined): string | undefined {
  for (const file of [`${name}.list`, `${name}:${arch}.list`]) {
    try {
      return readFileSync(posix.join(dpkgDir, 'info', file), 'utf8');
    } catch {
      // Not this name form: try the next, then give up.
    }
  }
  return undefined;
}

/**
 * The packages other than `packageName` whose files on disk include `path`,
 * a program, however either spells it through the system's links (dpkg's
 * `/sbin/start-stop-daemon` is `/usr/sbin/start-stop-daemon` on a
 * merged-/usr system): only paths matched by `programLine` (a multiline regex with
 * the g flag over a file list) are indexed. The index reads every file list
 * once per change of dpkg's status (7 MB here: tens of ms), and only when
 * some package asks.
 */
export function otherOwners(path: string, packageName: string, dpkgDir: string, programLine: RegExp): readonly string[] {
  const found = snapshot(dpkgDir);
  if (!found.owners) {
    const owners = new Map<string, string[]>();
    for (const [key, state] of found.states) {
      if (!FILES_ON_DISK.has(state)) continue;
      const [name = key, arch] = key.split(':');
      const text = readListText(dpkgDir, name, arch);
      if (text === undefined) continue;
      for (const [file] of text.matchAll(programLine)) {
        const place = systemPath(file);
        const list = owners.get(place);
        if (list) list.push(key);
        else owners.set(place, [key]);
      }
    }
    found.owners = owners;
  }
  const own = entryKey(packageName, found.states);
  return (found.owners.get(systemPath(path)) ?? []).filter((key) => key !== own);
}
