import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { wantedHardware } from './domain-hardware.js';
import type { DomainHardware, HardwareDisk, HardwareFilesystem } from './domain-hardware.js';
import type { VirtParams } from './params.js';

/** What a domain's XML says about the parts converge manages. */
export interface DomainDescription {
  readonly uuid: string | undefined;
  readonly hardware: DomainHardware;
  /** vcpus online (`<vcpu current>`, else all of them). */
  readonly cpus: number;
  /** Memory in use (`<currentMemory>`), in KiB. */
  readonly currentMemory: number;
}

/** Extra facts, kept when a domain is defined again. */
export interface Redefinition {
  readonly uuid: string;
  /** MAC addresses libvirt picked, by network card index, for cards whose params give none. */
  readonly macs: readonly (string | undefined)[];
}

type XmlNode = Record<string, unknown>;

const ATTR = '@_';
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: ATTR, suppressEmptyNode: true });
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => ['disk', 'interface', 'filesystem', 'boot', 'vcpu'].includes(name),
});

/** The driver's domain type and os type for a connection URI (mgmt's choice: kvm for qemu). */
function domainTypes(uri: string): { domain: string; os: string } {
  const scheme = uri.split(':', 1)[0]?.split('+', 1)[0] ?? '';
  if (scheme === 'test') return { domain: 'test', os: 'hvm' };
  if (scheme === 'lxc') return { domain: 'lxc', os: 'exe' };
  return { domain: 'kvm', os: 'hvm' };
}

/** The domain type a domain of `uri` is defined with (`kvm` for qemu URIs). */
export function domainTypeOf(uri: string): string {
  return domainTypes(uri).domain;
}

/** Letters for device names: 0 -> a, 25 -> z, 26 -> aa. */
function deviceLetters(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(97 + ((n - 1) % 26)) + letters;
  return letters;
}

function cpuNodes(params: Readonly<VirtParams>): XmlNode {
  if (!params.hotcpus) return { vcpu: { '#text': params.cpus } };
  // Every slot but the first is hot-pluggable, so cpus can change live.
  const slots = Array.from({ length: params.maxcpus }, (_, id) => ({
    [`${ATTR}id`]: id,
    [`${ATTR}enabled`]: id < params.cpus ? 'yes' : 'no',
    [`${ATTR}hotpluggable`]: id === 0 ? 'no' : 'yes',
  }));
  return { vcpu: { [`${ATTR}current`]: params.cpus, '#text': params.maxcpus }, vcpus: { vcpu: slots } };
}

function diskNode(disk: HardwareDisk, device: 'disk' | 'cdrom', index: number): XmlNode {
  return {
    [`${ATTR}type`]: 'file',
    [`${ATTR}device`]: device,
    driver: { [`${ATTR}name`]: 'qemu', [`${ATTR}type`]: disk.type },
    source: { [`${ATTR}file`]: disk.source },
    target:
      device === 'disk'
        ? { [`${ATTR}dev`]: `vd${deviceLetters(index)}`, [`${ATTR}bus`]: 'virtio' }
        : { [`${ATTR}dev`]: `hd${deviceLetters(index)}`, [`${ATTR}bus`]: 'ide' },
    ...(device === 'cdrom' ? { readonly: '' } : {}),
  };
}

function filesystemNode(fs: HardwareFilesystem): XmlNode {
  return {
    [`${ATTR}accessmode`]: fs.access,
    source: { [`${ATTR}dir`]: fs.source },
    target: { [`${ATTR}dir`]: fs.target },
    ...(fs.readonly ? { readonly: '' } : {}),
  };
}

/**
 * The domain XML for `params`. `redefinition` carries what must not change
 * when an existing domain is defined again (its uuid, the MACs it has).
 */
export function buildDomainXml(name: string, params: Readonly<VirtParams>, redefinition?: Redefinition): string {
  const types = domainTypes(params.uri);
  const hw = wantedHardware(params);
  const domain: XmlNode = {
    [`${ATTR}type`]: types.domain,
    name,
    ...(redefinition ? { uuid: redefinition.uuid } : {}),
    memory: { [`${ATTR}unit`]: 'KiB', '#text': hw.memory },
    currentMemory: { [`${ATTR}unit`]: 'KiB', '#text': hw.memory },
    ...cpuNodes(params),
    os: {
      type: types.os,
      ...(hw.osinit !== undefined ? { init: hw.osinit } : {}),
      boot: hw.boot.map((dev) => ({ [`${ATTR}dev`]: dev })),
    },
    // ACPI lets the guest see hot-plugged cpus and hear a shutdown request.
    features: { acpi: '' },
    devices: {
      disk: [
        ...hw.disks.map((d, i) => diskNode(d, 'disk', i)),
        ...hw.cdroms.map((d, i) => diskNode(d, 'cdrom', i)),
      ],
      interface: hw.networks.map((net, i) => ({
        [`${ATTR}type`]: 'network',
        ...((net.mac ?? redefinition?.macs[i]) !== undefined ? { mac: { [`${ATTR}address`]: net.mac ?? redefinition?.macs[i] } } : {}),
        source: { [`${ATTR}network`]: net.name },
      })),
      filesystem: hw.filesystems.map(filesystemNode),
      serial: { [`${ATTR}type`]: 'pty', target: { [`${ATTR}port`]: 0 } },
      console: { [`${ATTR}type`]: 'pty', target: { [`${ATTR}type`]: 'serial', [`${ATTR}port`]: 0 } },
    },
  };
  return builder.build({ domain }) as string;
}

const list = (value: unknown): XmlNode[] => (Array.isArray(value) ? (value as XmlNode[]) : value === undefined ? [] : [value as XmlNode]);
const node = (value: unknown): XmlNode => (typeof value === 'object' && value !== null ? (value as XmlNode) : {});
const text = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  const inner = node(value)['#text'];
  return typeof inner === 'string' ? inner : undefined;
};
const attr = (value: unknown, name: string): string | undefined => {
  const found = node(value)[`${ATTR}${name}`];
  return typeof found === 'string' ? found : undefined;
};

const KIB_PER_UNIT: Readonly<Record<string, number>> = { b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, m: 1024, mib: 1024, g: 1024 ** 2, gib: 1024 ** 2 };

function kib(value: unknown): number {
  const unit = (attr(value, 'unit') ?? 'KiB').toLowerCase();
  return Math.round(Number(text(value) ?? 0) * (KIB_PER_UNIT[unit] ?? 1));
}

function disksOf(devices: XmlNode, device: string): HardwareDisk[] {
  return list(devices['disk'])
    .filter((d) => (attr(d, 'device') ?? 'disk') === device)
    .map((d) => ({ source: attr(d['source'], 'file') ?? '', type: attr(d['driver'], 'type') ?? '' }));
}

/** Reads the managed parts of a domain XML as libvirt writes it out. */
export function parseDomainXml(xml: string): DomainDescription {
  const domain = node(node(parser.parse(xml))['domain']);
  const os = node(domain['os']);
  const devices = node(domain['devices']);
  const vcpu = list(domain['vcpu'])[0];
  const maxcpus = Number(text(vcpu) ?? 1);
  const memory = kib(domain['memory']);
  return {
    uuid: text(domain['uuid']),
    cpus: Number(attr(vcpu, 'current') ?? maxcpus),
    currentMemory: domain['currentMemory'] === undefined ? memory : kib(domain['currentMemory']),
    hardware: {
      maxcpus,
      memory,
      boot: list(os['boot']).map((b) => attr(b, 'dev') ?? ''),
      osinit: text(os['init']),
      disks: disksOf(devices, 'disk'),
      cdroms: disksOf(devices, 'cdrom'),
      networks: list(devices['interface'])
        .filter((i) => attr(i, 'type') === 'network')
        .map((i) => ({ name: attr(i['source'], 'network') ?? '', mac: attr(i['mac'], 'address')?.toLowerCase() })),
      filesystems: list(devices['filesystem']).map((f) => ({
        source: attr(f['source'], 'dir') ?? '',
        target: attr(f['target'], 'dir') ?? '',
        access: attr(f, 'accessmode') ?? 'passthrough',
        readonly: f['readonly'] !== undefined,
      })),
    },
  };
}
