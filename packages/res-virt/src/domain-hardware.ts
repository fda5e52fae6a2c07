import { homedir } from 'node:os';
import { join } from 'node:path';
import type { VirtParams } from './params.js';

export interface HardwareDisk {
  readonly source: string;
  readonly type: string;
}
export interface HardwareNetwork {
  readonly name: string;
  /** Undefined in a wish means "any": libvirt picks the address. */
  readonly mac: string | undefined;
}
export interface HardwareFilesystem {
  readonly source: string;
  readonly target: string;
  readonly access: string;
  readonly readonly: boolean;
}

/**
 * The parts of a domain that only change with a new definition (and, for a
 * running domain, a restart). cpus and memory in use are compared apart,
 * because they can often be changed live.
 */
export interface DomainHardware {
  readonly maxcpus: number;
  readonly memory: number;
  readonly boot: readonly string[];
  readonly osinit: string | undefined;
  readonly disks: readonly HardwareDisk[];
  readonly cdroms: readonly HardwareDisk[];
  readonly networks: readonly HardwareNetwork[];
  readonly filesystems: readonly HardwareFilesystem[];
}

/** libvirt's default filesystem access mode, which it writes out when none was given. */
const DEFAULT_FS_ACCESS = 'passthrough';

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** The hardware the params ask for. */
export function wantedHardware(params: Readonly<VirtParams>): DomainHardware {
  return {
    maxcpus: params.hotcpus ? params.maxcpus : params.cpus,
    memory: params.memory,
    // libvirt writes out boot from hd for a machine given no boot order.
    boot: params.boot.length > 0 || params.uri.startsWith('lxc:') ? [...params.boot] : ['hd'],
    osinit: params.uri.startsWith('lxc:') ? params.osinit : undefined,
    disks: params.disk.map((d) => ({ source: expandHome(d.source), type: d.type })),
    cdroms: params.cdrom.map((d) => ({ source: expandHome(d.source), type: d.type })),
    networks: params.network.map((n) => ({ name: n.name, mac: n.mac?.toLowerCase() })),
    filesystems: params.filesystem.map((f) => ({
      source: expandHome(f.source),
      target: f.target,
      access: f.access || DEFAULT_FS_ACCESS,
      readonly: f.read_only,
    })),
  };
}

const sameList = <T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean =>
  a.length === b.length && a.every((item, i) => same(item, b[i] as T));

/** Names of the hardware fields where `have` is not what `want` asks for. */
export function hardwareDifferences(want: DomainHardware, have: DomainHardware): string[] {
  const differences: string[] = [];
  if (want.maxcpus !== have.maxcpus) differences.push(`maxcpus ${have.maxcpus} -> ${want.maxcpus}`);
  if (want.memory !== have.memory) differences.push(`memory ${have.memory} KiB -> ${want.memory} KiB`);
  if (!sameList(want.boot, have.boot, (a, b) => a === b)) differences.push('boot');
  if ((want.osinit ?? '') !== (have.osinit ?? '')) differences.push('osinit');
  const sameDisk = (a: HardwareDisk, b: HardwareDisk): boolean => a.source === b.source && a.type === b.type;
  if (!sameList(want.disks, have.disks, sameDisk)) differences.push('disk');
  if (!sameList(want.cdroms, have.cdroms, sameDisk)) differences.push('cdrom');
  const sameNet = (a: HardwareNetwork, b: HardwareNetwork): boolean => a.name === b.name && (a.mac === undefined || a.mac === b.mac);
  if (!sameList(want.networks, have.networks, sameNet)) differences.push('network');
  const sameFs = (a: HardwareFilesystem, b: HardwareFilesystem): boolean =>
    a.source === b.source && a.target === b.target && a.access === b.access && a.readonly === b.readonly;
  if (!sameList(want.filesystems, have.filesystems, sameFs)) differences.push('filesystem');
  return differences;
}
