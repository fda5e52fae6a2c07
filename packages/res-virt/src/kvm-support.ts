import { XMLParser } from 'fast-xml-parser';
import { virsh, virshSharesDriver } from './virsh.js';

/**
 * What to do on a host without KVM. res-virt asks for domain type kvm on
 * qemu URIs, as mgmt does, and has no param for another type (plain qemu
 * emulation), so the host must offer KVM.
 */
export function noKvmHint(uri: string): string {
  return `libvirt at ${uri} offers no KVM (no /dev/kvm on its host), and virt defines qemu domains with type kvm, as mgmt does (no param picks another type): load the kvm module there (modprobe kvm_intel or kvm_amd; virtualization enabled in the firmware, nested virtualization on a virtual machine), or run the graph on a host with KVM (\`virsh -c ${uri} capabilities\` lists <domain type='kvm'/> there)`;
}

/**
 * True for libvirt's refusal of a kvm domain on a host that offers none
 * (`could not get preferred machine for /usr/bin/qemu-system-x86_64
 * type=kvm`; older libvirt: `does not support virt type 'kvm'`, `could not
 * find capabilities for arch=x86_64 domaintype=kvm`). The binding loses
 * libvirt's error codes: the message is all there is.
 */
export function isNoKvmRefusal(cause: unknown): boolean {
  return cause instanceof Error && /\btype=kvm\b|virt type 'kvm'|domaintype=kvm\b/.test(cause.message);
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => ['guest', 'domain', 'arch'].includes(name),
});

interface CapabilitiesGuest {
  readonly os_type?: unknown;
  readonly arch?: readonly { readonly domain?: readonly { readonly '@_type'?: unknown }[] }[];
}

/**
 * Whether the hypervisor at `uri` offers domain type kvm for a full
 * virtual machine (os type hvm) of some arch, from libvirt's capabilities:
 * a domain XML that names no arch gets one that does, if any. Undefined
 * when that cannot be told (virsh missing or failing, or a URI virsh does
 * not share): the real run then finds out. The binding has no
 * virConnectGetCapabilities, so virsh asks, as it does for hot-plugging.
 */
export async function kvmOffered(uri: string, signal?: AbortSignal): Promise<boolean | undefined> {
  if (!virshSharesDriver(uri)) return undefined;
  let xml: string;
  try {
    xml = await virsh(uri, ['capabilities'], signal);
  } catch {
    return undefined;
  }
  const guests = (parser.parse(xml) as { capabilities?: { guest?: readonly CapabilitiesGuest[] } }).capabilities?.guest;
  if (guests === undefined) return undefined;
  return guests.some((guest) => guest.os_type === 'hvm' && (guest.arch ?? []).some((arch) => (arch.domain ?? []).some((domain) => domain['@_type'] === 'kvm')));
}
